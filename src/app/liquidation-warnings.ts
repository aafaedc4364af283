import { formatPrice } from "../chat/render/proposal-card";
import { intentId, type Intent } from "../core/trading/intents";
import { levelPercent, liquidationProgress, liquidationWarningDue, stopStanding, type LiquidationInput } from "../core/trading/liquidation-warning";
import type { Closing, Open } from "../core/trading/types";
import { round } from "../core/stats";
import { writeIntents } from "../store/outbox";
import type { App } from "./context";

/**
 * Warns a position's chats, once per configured level (LIQUIDATION_WARNING_AT), when its mark has
 * come that share of the way from the entry to the liquidation price. The outbox key names the
 * position and the level, so repeated monitor passes and restarts add nothing; which levels were
 * already said is read back from those keys. The decision itself is core (liquidation-warning.ts).
 */
const keyOf = (proposalId: string, level: number): string => `liquidation-${proposalId}-${levelPercent(level)}`;

/** Returns the level warned about now, or null. Call with the trade as it stands after this pass's mark. */
export async function warnNearLiquidation(app: App, trade: Open | Closing, markPrice: number, now: number): Promise<number | null> {
  const levels = app.settings.liquidationWarningAt ?? [];
  if (levels.length === 0) return null;
  const { terms, position } = trade;
  const input: LiquidationInput = { side: terms.side, entryPrice: position.entryPrice, liquidationPrice: position.liquidationPrice, markPrice };
  // Cheap first: most passes reach no level, and then the outbox is not asked.
  if (liquidationWarningDue(input, levels, []) === null) return null;
  const ids = levels.map((level) => intentId({ kind: "text", key: keyOf(terms.id, level), text: "" }));
  const said = new Set((await app.db.intent.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((row) => row.id));
  const warned = levels.filter((_, i) => said.has(ids[i] ?? ""));
  const level = liquidationWarningDue(input, levels, warned);
  if (level === null) return null;
  const intent: Intent = { kind: "text", key: keyOf(terms.id, level), text: warningText(trade, markPrice, level), event: "liquidation" };
  await app.dispatch(await writeIntents(app.db, [intent], now));
  return level;
}

function warningText(trade: Open | Closing, mark: number, level: number): string {
  const { terms, position } = trade;
  const liquidation = position.liquidationPrice;
  const progress = liquidationProgress({ side: terms.side, entryPrice: position.entryPrice, liquidationPrice: liquidation, markPrice: mark });
  const covered = progress === null ? `${levelPercent(level)}%` : `${round(progress.toNumber() * 100, 1)}%`;
  const away = round((Math.abs(liquidation - mark) / mark) * 100, 2);
  const head = `⚠️ Liquidation warning: ${terms.symbol} ${terms.side.toUpperCase()} on ${terms.venue} (${terms.id}). ` +
    `The mark ${formatPrice(mark)} has come ${covered} of the way from the entry ${formatPrice(position.entryPrice)} to the estimated liquidation price ${formatPrice(liquidation)}, ` +
    (progress !== null && progress.gte(1) ? "and has reached it." : `which is ${away}% away.`);
  const stop = formatPrice(position.stopPrice);
  const standing = stopStanding(terms.side, mark, position.stopPrice, liquidation);
  const exiting = trade.status === "closing" ? ` Its exit order (${trade.reason}) is already working; check that it fills.` : "";
  switch (standing) {
    case "ahead":
      return `${head} The stop at ${stop} lies before the liquidation price and should close the position first.${exiting}`;
    case "passed":
      return `${head} The mark is already past the stop at ${stop}, so the stop did not close it.` +
        (exiting === "" ? ` Check the venue, or close it with /close ${terms.id}.` : exiting);
    case "beyond-liquidation":
      return `${head} The stop at ${stop} lies beyond the liquidation price: the venue would liquidate the position before the stop acts. ` +
        `Add margin or close it with /close ${terms.id}.${exiting}`;
  }
}
