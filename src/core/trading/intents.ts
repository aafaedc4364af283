import type { AlertEvent } from "../alert-events";

/**
 * Work that a state change causes. The lifecycle core returns intents beside the new state; the
 * shell writes them into the outbox in the same database transaction as the state, and a
 * dispatcher hands them to the queue. An intent's id is deterministic, so writing the same intent
 * twice (a retried transition, a reconciler pass) is one intent, and its job runs once.
 */
/** "exchange": closed on the venue by something other than the bot's own orders (the exchange UI, an ADL). */
export type ExitReason = "stop-loss" | "take-profit" | "horizon" | "manual" | "liquidation" | "exchange";

export type Intent =
  /** Send the entry order of an approved trade (paper or live broker). */
  | { readonly kind: "execute"; readonly proposalId: string }
  /** Send the exit order of an open position. */
  | { readonly kind: "close"; readonly proposalId: string; readonly reason: ExitReason }
  /** Place (or find) the position's reduce-only stop-loss and take-profit on a live venue, and verify them. */
  | { readonly kind: "protect"; readonly proposalId: string }
  /** Look an order whose outcome is unknown up by its client order id; never re-send it. */
  | { readonly kind: "resolve-order"; readonly proposalId: string; readonly clientOrderId: string }
  /** Post (first time) or edit (after) every chat copy of a proposal's card to its current state. */
  | { readonly kind: "card"; readonly proposalId: string }
  /** A plain message to every chat. `key` makes it once-only (e.g. one per drawdown event). */
  | { readonly kind: "text"; readonly key: string; readonly text: string; readonly event?: AlertEvent }
  /** Refit the model (recalibration), e.g. after the drawdown rule paused trading. */
  | { readonly kind: "model-review"; readonly key: string; readonly reason: string };

export type IntentKind = Intent["kind"];

/**
 * The outbox key of an intent. A card intent carries a revision so each state's edit is its own
 * intent (the card always renders the current state, so a late one is harmless).
 */
export function intentId(intent: Intent, revision = 0): string {
  switch (intent.kind) {
    case "execute": return `execute-${intent.proposalId}`;
    case "close": return `close-${intent.proposalId}`;
    case "protect": return `protect-${intent.proposalId}`;
    case "resolve-order": return `resolve-${intent.clientOrderId}`;
    case "card": return `card-${intent.proposalId}-${revision}`;
    case "text": return `text-${intent.key}`;
    case "model-review": return `review-${intent.key}`;
  }
}
