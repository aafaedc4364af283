/**
 * The kinds of message the bot sends on its own, each of which a chat can have on, silent (sent
 * without a notification sound) or off (/settings). A Record below makes a new kind say its label.
 * Replies to commands and button presses are not alerts: they always go to the chat that asked.
 */
export const ALERT_EVENTS = ["proposal", "funding", "fill", "exit", "liquidation", "drawdown", "data", "digest", "system"] as const;
export type AlertEvent = (typeof ALERT_EVENTS)[number];

export type AlertMode = "on" | "silent" | "off";
export const ALERT_MODES: readonly AlertMode[] = ["on", "silent", "off"];

/** A chat that never chose gets every alert with its sound: a new chat must not miss a stop by default. */
export const DEFAULT_ALERT_MODE: AlertMode = "on";

export const isAlertEvent = (value: string): value is AlertEvent => (ALERT_EVENTS as readonly string[]).includes(value);
export const isAlertMode = (value: string): value is AlertMode => (ALERT_MODES as readonly string[]).includes(value);

/** What /settings shows for each mode. */
export const ALERT_MODE_TEXT: Record<AlertMode, string> = {
  on: "on",
  silent: "silent (no notification sound)",
  off: "off",
};

/** What /settings shows for each kind. */
export const ALERT_EVENT_LABELS: Record<AlertEvent, string> = {
  proposal: "trade proposals (Approve/Reject cards) and signals that could not become one",
  funding: "funding-time warnings",
  fill: "fills",
  exit: "stops, take-profits and other exits",
  liquidation: "liquidation warnings",
  drawdown: "drawdown actions, pauses and resumes",
  data: "data problems that need a human",
  digest: "the twice-daily digest",
  system: "everything else the bot reports",
};

/**
 * A text intent written before kinds existed (or by a caller that names none) counts as "system";
 * so does a kind this version does not know (a newer process wrote it, or a queue job was altered):
 * it is delivered under a setting the chat can see rather than dropped.
 */
export function alertEventOf(value: { readonly event?: string }): AlertEvent {
  return value.event !== undefined && isAlertEvent(value.event) ? value.event : "system";
}
