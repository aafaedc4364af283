/** Telegram's answerCallbackQuery refuses longer texts (400 MESSAGE_TOO_LONG); Discord allows more. */
export const MAX_TOAST = 200;

/**
 * Cuts `text` to at most `max` characters, at the last word boundary when there is one in the
 * second half, and marks the cut with an ellipsis so the reader knows something is missing.
 * Length is counted in UTF-16 units (what JavaScript and Telegram's limits count; never fewer than
 * code points), and a cut never splits an emoji's surrogate pair.
 */
export function cutAtWord(text: string, max: number): string {
  if (text.length <= max) return text;
  let window = "";
  for (const char of text) {
    if (window.length + char.length > max - 1) break; // one unit is kept for the ellipsis
    window += char;
  }
  const space = window.search(/\s\S*$/);
  const kept = space >= window.length / 2 ? window.slice(0, space) : window;
  return `${kept.replace(/[\s,;:.(-]+$/, "")}…`;
}

/** Every toast the router hands to a transport goes through here. */
export const fitToast = (text: string): string => cutAtWord(text, MAX_TOAST);
