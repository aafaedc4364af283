import type { App } from "../src/app/context";
import { UserError } from "../src/app/context";
import type { Actor, CommandInfo, Reply } from "../src/chat/transport";

/**
 * A chat command, written once for every platform. `run` returns plain data for the transport to
 * show; it throws UserError for a message the user should read, UsageError for wrong arguments.
 */
export interface Command extends CommandInfo {
  /** Read-only commands still need an allowed user: balances and positions are private. */
  readonly mutates: boolean;
  /** The one line shown for wrong arguments, e.g. "/resume [override] — …"; written once, here. */
  readonly usage: string;
  /** Answered for anyone, allowed or not (/whoami); a stranger's answers are still rate-limited and audited. */
  readonly openToEveryone?: boolean;
  /** The last argument is free text that may span several words (e.g. a pause reason). */
  readonly freeText?: boolean;
  run(app: App, args: readonly string[], actor: Actor): Promise<Reply>;
}

/** Thrown by a command whose arguments have the right count but a wrong value; the router answers with its usage. */
export class UsageError extends UserError {
  constructor(detail = "wrong arguments") {
    super(detail);
    this.name = "UsageError";
  }
}

/**
 * Whether the arguments fit the declared ones: every required one present (Discord passes "" for
 * an unset option that sits before a set one), and no extra words unless the last one is free text.
 */
export function argumentsFit(command: Command, args: readonly string[]): boolean {
  const missing = command.args.some((arg, index) => arg.required && (args[index] ?? "").trim() === "");
  const extra = command.freeText !== true && args.length > command.args.length;
  return !missing && !extra;
}
