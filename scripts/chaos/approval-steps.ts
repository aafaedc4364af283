import Decimal from "decimal.js";
import type { Db } from "../../src/store/database";
import { insertProposal } from "../../src/store/trade-repo";
import type { Proc } from "./simulated-process";

/** A quote and a pending proposal with its card intent, dispatched as the signal job does. */
export async function seedProposal(proc: Proc, id: string, symbol: string): Promise<void> {
  const app = proc.runtime!.app;
  const now = app.clock();
  const price = 0.6;
  await app.db.marketSnapshot.create({
    data: {
      venue: "bybit", symbol, ts: new Date(now), fundingRate: 0.0001, nextFundingTs: new Date(Math.floor(now / 28_800_000) * 28_800_000 + 28_800_000),
      fundingIntervalHours: 8, markPrice: price, lastPrice: price, bid: price * 0.9999, ask: price * 1.0001, baseVolume24h: 1e6, quoteVolume24h: 1e6 * price,
      bookJson: JSON.stringify({ bids: [[price * 0.9999, 1e6]], asks: [[price * 1.0001, 1e6]] }),
    },
  });
  const sign = -1; // short, as the fixtures
  const ids = await app.db.$transaction((tx) => insertProposal(tx, {
    id, symbol, venue: "bybit", side: "short", signalId: null, refPrice: price, quantity: new Decimal(5000).div(price).toDecimalPlaces(3, Decimal.ROUND_DOWN),
    notionalUsd: new Decimal(5000), marginUsd: new Decimal(1000), leverage: 5, stopPrice: price * (1 - sign * 0.02), takeProfitPrice: price * (1 + sign * 0.03),
    liquidationPrice: price * (1 - sign * 0.195), expectedFeesUsd: new Decimal("7.5"), expectedFundingUsd: new Decimal(0), horizonHours: 8,
    createdAt: now, expiresAt: now + 30 * 60_000, autoExecute: false,
  }, [{ kind: "card", proposalId: id }], now));
  await app.dispatch(ids);
}

/** The trade settled (open or failed), none of its intents is pending, and every card of it shows its version. */
export async function settled(observer: Db, id: string): Promise<boolean> {
  const proposal = await observer.proposal.findUnique({ where: { id }, select: { status: true, version: true } });
  if (proposal === null || !["open", "failed"].includes(proposal.status)) return false;
  const pending = await observer.intent.count({ where: { status: "pending", payloadJson: { contains: id } } });
  if (pending > 0) return false;
  const messages = await observer.chatMessage.findMany({ where: { proposalId: id }, select: { version: true } });
  return messages.length > 0 && messages.every((m) => m.version === proposal.version);
}
