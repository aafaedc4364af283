/**
 * The kinds of message the bot sends on its own, each of which a chat can have on, silent (sent
 * without a notification sound) or off (/settings). A Record below makes a new kind say its label.
 * Replies to commands and button presses are not alerts: they always go to the chat that asked.
 */
export const ALERT_EVENTS = ["proposal", "funding", "fill", "exit", "liquidation", "drawdown", "data", "digest", "system"] as const;
export type AlertEvent = (typeof ALERT_EVENTS)[number];

export type AlertMode = "on" | "silent" | "off";
export const ALERT_MODES: readonly AlertMode[] = ["on", "silent", "off"];

/** What /settings shows for each kind. */
export const ALERT_EVENT_LABELS: Record<AlertEvent, string> = {
  proposal: "trade proposals (Approve/Reject cards)",
  funding: "funding-time warnings",
  fill: "fills",
  exit: "stops, take-profits and other exits",
  liquidation: "liquidation warnings",
  drawdown: "drawdown actions, pauses and resumes",
  data: "data problems that need a human",
  digest: "the twice-daily digest",
  system: "everything else the bot reports",
};

/** A text intent written before kinds existed (or by a caller that names none) counts as "system". */
export function alertEventOf(value: { readonly event?: AlertEvent }): AlertEvent {
  return value.event ?? "system";
}
