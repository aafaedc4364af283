import { TelegramError } from "telegraf";
import type { InlineKeyboardMarkup, User } from "telegraf/types";
import type { Actor, OutgoingMessage } from "../transport";

// What Telegram's wire format and errors mean for us: limits, keyboards, users, retryable failures.

/** Worth another try later: flood control, Telegram's own 5xx, or no answer at all (network). */
export function isTransient(error: unknown): boolean {
  if (error instanceof TelegramError) return error.code === 429 || error.code >= 500;
  return true;
}

/** The longest retry_after among the failures (all of them must have passed before a retry helps). */
export function retryAfterMsOf(errors: readonly unknown[], secondMs: number): number | null {
  const waits = errors.flatMap((e) => (e instanceof TelegramError && e.parameters?.retry_after !== undefined ? [e.parameters.retry_after * secondMs] : []));
  return waits.length === 0 ? null : Math.max(...waits);
}

/** Telegram refuses texts over 4,096 characters; a cut message beats a lost one. */
export const fitTelegram = (text: string): string => (text.length <= 4096 ? text : `${text.slice(0, 4093)}…`);

/** Telegram's caption limit for a photo (a text message may hold 4,096). */
export const MAX_CAPTION = 1024;

/**
 * A photo's caption and what does not fit in it (sent as a message after the photo, so nothing is
 * lost): cut at a line break in the second half of the limit where there is one.
 */
export function splitCaption(text: string): { caption: string; rest: string } {
  if (text.length <= MAX_CAPTION) return { caption: text, rest: "" };
  const lineBreak = text.lastIndexOf("\n", MAX_CAPTION);
  if (lineBreak > MAX_CAPTION / 2) return { caption: text.slice(0, lineBreak), rest: text.slice(lineBreak + 1) };
  // No line to cut at: never split a surrogate pair, mark the cut on both sides.
  let cut = MAX_CAPTION - 1;
  if (/[\uD800-\uDBFF]/.test(text.charAt(cut - 1))) cut -= 1;
  return { caption: `${text.slice(0, cut)}…`, rest: `…${text.slice(cut)}` };
}

export function keyboard(message: OutgoingMessage): InlineKeyboardMarkup | undefined {
  const buttons = message.buttons ?? [];
  // One row; Telegram has no button colours, so the labels must carry the meaning on their own.
  return buttons.length === 0 ? undefined : { inline_keyboard: [buttons.map((b) => ({ text: b.label, callback_data: b.data }))] };
}

export function actorOf(user: User): Actor {
  const name = [user.first_name, user.last_name].filter((part) => part !== undefined && part !== "").join(" ");
  return { platform: "telegram", userId: String(user.id), displayName: name !== "" ? name : (user.username ?? String(user.id)) };
}
