import type { App } from "../src/app/context";
import type { Actor, CommandInfo, Reply } from "../src/chat/transport";

/**
 * A chat command, written once for every platform. `run` returns plain data for the transport to
 * show; it throws UserError for a message the user should read.
 */
export interface Command extends CommandInfo {
  /** Read-only commands still need an allowed user: balances and positions are private. */
  readonly mutates: boolean;
  run(app: App, args: readonly string[], actor: Actor): Promise<Reply>;
}
