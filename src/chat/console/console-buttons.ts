import type { Button } from "../transport";

/**
 * Buttons on a terminal: each gets a short code (message number + letter, e.g. "3a") that the
 * operator types to press it. A code names one button of one message, so typing it after the
 * message changed (its buttons gone after an Approve or a Cancel) presses nothing by mistake.
 */
export const BUTTON_CODE = /^(\d+)([a-z])$/i;
const LETTERS = "abcdefghijklmnopqrstuvwxyz";
/** Old cards stop being pressable from the terminal beyond this many messages, so memory stays bounded. */
const REMEMBERED_MESSAGES = 200;

export type ButtonLookup =
  | { readonly kind: "found"; readonly messageId: string; readonly button: Button }
  | { readonly kind: "unknown"; readonly text: string };

export class ConsoleButtons {
  readonly #byMessage = new Map<string, readonly Button[]>();

  /** Remembers what a message now shows (an edit replaces it) and returns the line listing its codes, or "" if none. */
  show(messageId: string, buttons: readonly Button[] | undefined): string {
    const list = (buttons ?? []).slice(0, LETTERS.length);
    this.#byMessage.delete(messageId); // re-inserted last: the newest messages are the ones kept
    this.#byMessage.set(messageId, list);
    for (const oldest of this.#byMessage.keys()) {
      if (this.#byMessage.size <= REMEMBERED_MESSAGES) break;
      this.#byMessage.delete(oldest);
    }
    if (list.length === 0) return "";
    return `${list.map((b, i) => `[${messageId}${LETTERS[i] ?? ""}] ${b.label}`).join("   ")}   (type a code to press it)`;
  }

  find(code: string): ButtonLookup {
    const match = BUTTON_CODE.exec(code.trim());
    const messageId = match?.[1] ?? "";
    const index = LETTERS.indexOf((match?.[2] ?? "").toLowerCase());
    const buttons = this.#byMessage.get(messageId);
    const button = buttons?.[index];
    if (button !== undefined) return { kind: "found", messageId, button };
    if (buttons !== undefined) return { kind: "unknown", text: `Message #${messageId} has no button ${code.trim()} (any more): nothing pressed.` };
    const last = [...this.#byMessage].reverse().find(([, list]) => list.length > 0);
    const hint = last === undefined ? "no message here has buttons to press right now" : `type a code shown in brackets, e.g. ${last[0]}a`;
    return { kind: "unknown", text: `No button ${code.trim()} here: ${hint}.` };
  }
}
