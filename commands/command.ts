import type { App } from "../src/app/context";
import { UserError } from "../src/app/context";
import type { Role } from "../src/chat/roles";
import type { Actor, CommandInfo, Reply } from "../src/chat/transport";

/** Who may run a command (viewer < approver < admin), defined with the rule in src/chat/roles.ts. */
export type { Role };

/**
 * A chat command, written once for every platform. `run` returns plain data for the transport to
 * show; it throws UserError for a message the user should read, UsageError for wrong arguments.
 */
export interface Command extends CommandInfo {
  /** The least role that may run it; the router checks it (src/chat/chat-router.ts) and /help shows it. */
  readonly role: Role;
  /**
   * For a command whose arguments make it a bigger act (e.g. /risk reads, /risk aggressive
   * changes): the least role for these arguments, at least `role`. The router checks it before
   * `run`, so the refusal is the same private, audited answer as any other role refusal.
   */
  readonly roleFor?: (args: readonly string[]) => Role;
  /** The one line shown for wrong arguments, e.g. "/resume [override] — …"; written once, here. */
  readonly usage: string;
  /** Answered for anyone, allowed or not (/whoami); a stranger's answers are still rate-limited and audited. */
  readonly openToEveryone?: boolean;
  /** The last argument is free text that may span several words (e.g. a pause reason). */
  readonly freeText?: boolean;
  /** `chatId`: where it was typed, when the transport knows it (commands about that chat: /settings). */
  run(app: App, args: readonly string[], actor: Actor, chatId?: string): Promise<Reply>;
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
