import Decimal from "decimal.js";
import type { Db } from "../../src/store/database";
import { insertProposal } from "../../src/store/trade-repo";
import type { Proc } from "./simulated-process";

/** What an approval trades: the paper run's short on the paper venue, or a live venue's stand-in market. */
export interface ProposalMarket {
  readonly venue: string;
  readonly price: number;
  readonly side: "long" | "short";
  readonly quantity: Decimal;
  readonly notionalUsd: Decimal;
  readonly marginUsd: Decimal;
  readonly expectedFeesUsd: Decimal;
}

export const PAPER_MARKET: ProposalMarket = {
  venue: "bybit", price: 0.6, side: "short", quantity: new Decimal(5000).div(0.6).toDecimalPlaces(3, Decimal.ROUND_DOWN),
  notionalUsd: new Decimal(5000), marginUsd: new Decimal(1000), expectedFeesUsd: new Decimal("7.5"),
};

/** A quote and a pending proposal with its card intent, dispatched as the signal job does. */
export async function seedProposal(proc: Proc, id: string, symbol: string, market: ProposalMarket = PAPER_MARKET): Promise<void> {
  const app = proc.runtime!.app;
  const now = app.clock();
  const { venue, price, side, quantity, notionalUsd, marginUsd, expectedFeesUsd } = market;
  await app.db.marketSnapshot.create({
    data: {
      venue, symbol, ts: new Date(now), fundingRate: 0.0001, nextFundingTs: new Date(Math.floor(now / 28_800_000) * 28_800_000 + 28_800_000),
      fundingIntervalHours: 8, markPrice: price, lastPrice: price, bid: price * 0.9999, ask: price * 1.0001, baseVolume24h: 1e6, quoteVolume24h: 1e6 * price,
      bookJson: JSON.stringify({ bids: [[price * 0.9999, 1e6]], asks: [[price * 1.0001, 1e6]] }),
    },
  });
  const sign = side === "long" ? 1 : -1;
  const ids = await app.db.$transaction((tx) => insertProposal(tx, {
    id, symbol, venue, side, signalId: null, refPrice: price, quantity,
    notionalUsd, marginUsd, leverage: 5, stopPrice: price * (1 - sign * 0.02), takeProfitPrice: price * (1 + sign * 0.03),
    liquidationPrice: price * (1 - sign * 0.195), expectedFeesUsd, expectedFundingUsd: new Decimal(0), horizonHours: 8,
    createdAt: now, expiresAt: now + 30 * 60_000, autoExecute: false,
  }, [{ kind: "card", proposalId: id }], now));
  await app.dispatch(ids);
}

/** The trade reached one of `statuses`, none of its intents is pending, and every card of it shows its version. */
export async function settled(observer: Db, id: string, statuses: readonly string[] = ["open", "failed"]): Promise<boolean> {
  const proposal = await observer.proposal.findUnique({ where: { id }, select: { status: true, version: true } });
  if (proposal === null || !statuses.includes(proposal.status)) return false;
  const pending = await observer.intent.count({ where: { status: "pending", payloadJson: { contains: id } } });
  if (pending > 0) return false;
  const messages = await observer.chatMessage.findMany({ where: { proposalId: id }, select: { version: true } });
  return messages.length > 0 && messages.every((m) => m.version === proposal.version);
}
