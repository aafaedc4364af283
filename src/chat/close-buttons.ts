import { cancelClose, CLOSE_CONFIRM_MS, confirmClose, type CloseAnswer, type CloseRequest } from "../app/close-position";
import { UserError, type App } from "../app/context";
import { audit } from "../store/audit";
import type { ButtonAction } from "./callback-codec";
import { encodeButton } from "./callback-codec";
import { fitLines, utcTime } from "./render/desk-format";
import { formatPrice, formatQuantity, formatUsd } from "./render/proposal-card";
import type { Actor, ButtonOutcome, OutgoingMessage } from "./transport";

type CloseButton = Extract<ButtonAction, { kind: "close-confirm" | "close-cancel" }>;

/** The /close answer: what would be closed, until when the offer holds, and the two buttons. */
export function renderCloseConfirmation(request: CloseRequest, now: number): OutgoingMessage {
  const n = request.positions.length;
  const head = request.target === "all"
    ? `Close ALL ${n} open position${n === 1 ? "" : "s"}?`
    : "Close this position?";
  const lines = request.positions.map((p) =>
    `  ${p.id} ${p.symbol} ${p.side.toUpperCase()} ${formatQuantity(p.quantity, p.symbol)} on ${p.venue}, mark ${formatPrice(p.markPrice)}${p.markStale ? " (STALE)" : ""}, unrealized ${formatUsd(p.unrealizedPnl)} net`);
  const text = fitLines([
    head, ...lines,
    `Nothing is closed until an admin presses Confirm close, within ${Math.round(CLOSE_CONFIRM_MS / 60_000)} minutes (until ${utcTime(request.expiresAt, now)}). The exit order then goes out at once; its fill shows on each position's card.`,
  ]);
  const data = { proposalId: request.target, confirmId: request.confirmId };
  return {
    text,
    buttons: [
      { label: n === 1 ? "Confirm close" : `Confirm close (${n})`, data: encodeButton({ kind: "close-confirm", ...data }), style: "danger" },
      { label: "Cancel", data: encodeButton({ kind: "close-cancel", ...data }), style: "secondary" },
    ],
  };
}

function outcomeOf(answer: CloseAnswer, now: number): ButtonOutcome & { detail: string } {
  switch (answer.kind) {
    case "unknown": {
      // The message cannot show this (nothing changed), so everyone may read it; it names no one.
      const text = "This close confirmation is no longer known. Send /close again.";
      return { toast: text, notice: text, detail: "unknown confirmation" };
    }
    case "expired": {
      const text = `Close request expired at ${utcTime(answer.expiresAt, now)}; nothing was closed. Send /close again.`;
      return { toast: text, edit: { text }, detail: "expired" };
    }
    case "cancelled":
    case "cancelled-now": {
      const text = `Close cancelled by ${answer.by}; nothing was closed.`;
      return { toast: answer.kind === "cancelled-now" ? "Cancelled: nothing will be closed." : text, edit: { text }, detail: answer.kind === "cancelled-now" ? "cancelled" : "already cancelled" };
    }
    case "too-late-to-cancel":
      return { toast: `Too late to cancel: ${answer.by} confirmed the close and it is under way.`, detail: "already confirmed" };
    case "confirmed": {
      const queued = answer.closing.map((c) => `  ${c.id} ${c.symbol} ${c.side}: exit order queued`);
      const moved = answer.notClosed.map((c) => `  ${c.id} ${c.symbol}: not closed by this, ${c.why}`);
      const text = fitLines([`Close confirmed by ${answer.by}. The fills follow on each position's card.`, ...queued, ...moved]);
      const toast = answer.repeated && answer.closing.length === 0
        ? `Already confirmed by ${answer.by}; nothing more to close.`
        : answer.closing.length === 0
          ? `Nothing closed: ${answer.notClosed.map((c) => `${c.id} ${c.why}`).join("; ")}.`
          : `Closing ${answer.closing.length} position${answer.closing.length === 1 ? "" : "s"}: exit order${answer.closing.length === 1 ? "" : "s"} queued.`;
      return { toast, edit: { text }, detail: `closing ${answer.closing.map((c) => c.id).join(",") || "none"}${answer.repeated ? " (repeated press)" : ""}` };
    }
  }
}

/**
 * A press on a /close confirmation, after the router's role check (close buttons need admin).
 * Audited here, since the router hands these presses over whole.
 */
export async function pressCloseButton(app: App, action: CloseButton, actor: Actor): Promise<ButtonOutcome> {
  try {
    const answer = action.kind === "close-confirm" ? await confirmClose(app, action.confirmId, actor) : await cancelClose(app, action.confirmId, actor);
    const { detail, ...outcome } = outcomeOf(answer, app.clock());
    const ok = answer.kind === "confirmed" || answer.kind === "cancelled-now";
    await audit(app.db, { actor, action: action.kind, target: action.proposalId, outcome: ok ? "ok" : "refused", detail, now: app.clock() });
    return outcome;
  } catch (error) {
    const known = error instanceof UserError;
    if (!known) app.logger.error({ err: error, action: action.kind, target: action.proposalId, user: actor.userId }, "close button failed");
    await audit(app.db, { actor, action: action.kind, target: action.proposalId, outcome: known ? "refused" : "error", detail: known ? error.message : "error", now: app.clock() }).catch(() => undefined);
    const toast = known ? error.message : "Something went wrong on our side; the details are in the bot's log. Check /positions before pressing again.";
    return { toast, notice: toast };
  }
}
