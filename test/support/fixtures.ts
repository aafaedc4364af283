import type { App } from "../../src/app/context";
import Decimal from "decimal.js";
import { newProposalId } from "../../src/app/compute-signals";
import { insertProposal } from "../../src/store/trade-repo";

/** Stores a market snapshot for the trading venue at the app's current time. */
export async function seedSnapshot(app: App, input: { venue?: string; symbol?: string; price: number; fundingRate?: number; ts?: number }): Promise<void> {
  const ts = input.ts ?? app.clock();
  const price = input.price;
  await app.db.marketSnapshot.create({
    data: {
      venue: input.venue ?? "bybit", symbol: input.symbol ?? "MNT/USDT:USDT", ts: new Date(ts), fundingRate: input.fundingRate ?? 0.0001,
      nextFundingTs: new Date(Math.floor(ts / 28_800_000) * 28_800_000 + 28_800_000), fundingIntervalHours: 8,
      markPrice: price, lastPrice: price, bid: price * 0.9999, ask: price * 1.0001, baseVolume24h: 1e6, quoteVolume24h: 1e6 * price,
      bookJson: JSON.stringify({ bids: [[price * 0.9999, 1e6]], asks: [[price * 1.0001, 1e6]] }),
    },
  });
}

/**
 * A pending proposal as the signal job would create it (5,000 USDT notional at 5x, 2% stop, 1.5R
 * take-profit), with its card intent in the outbox. Unless `quote: false`, a fresh snapshot at the
 * same price is stored too, so an approval's market re-check passes.
 */
export async function seedProposal(
  app: App, input: { side?: "long" | "short"; price?: number; status?: string; expiresInMinutes?: number; quote?: boolean; symbol?: string; venue?: string; quantity?: Decimal } = {},
): Promise<string> {
  const id = newProposalId();
  const now = app.clock();
  const price = input.price ?? 0.6;
  const side = input.side ?? "short";
  const sign = side === "long" ? 1 : -1;
  const symbol = input.symbol ?? "MNT/USDT:USDT";
  const venue = input.venue ?? "bybit";
  if (input.quote !== false) await seedSnapshot(app, { price, symbol, venue });
  await app.db.$transaction(async (tx) => {
    await insertProposal(tx, {
      id, symbol, venue, side, signalId: null, refPrice: price, quantity: input.quantity ?? new Decimal(5000).div(price).toDecimalPlaces(3, Decimal.ROUND_DOWN),
      notionalUsd: new Decimal(5000), marginUsd: new Decimal(1000), leverage: 5, stopPrice: price * (1 - sign * 0.02), takeProfitPrice: price * (1 + sign * 0.03),
      liquidationPrice: price * (1 - sign * 0.195), expectedFeesUsd: new Decimal("7.5"), expectedFundingUsd: new Decimal(0), horizonHours: 8,
      createdAt: now, expiresAt: now + (input.expiresInMinutes ?? 30) * 60_000, autoExecute: false,
    }, [{ kind: "card", proposalId: id }], now);
    if (input.status !== undefined && input.status !== "pending") await tx.proposal.update({ where: { id }, data: { status: input.status } });
  });
  return id;
}
