import type { App } from "../../src/app/context";
import { newProposalId } from "../../src/app/compute-signals";

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

/** A pending proposal as the signal job would create it. */
export async function seedProposal(app: App, input: { side?: "long" | "short"; price?: number; status?: string; expiresInMinutes?: number } = {}): Promise<string> {
  const id = newProposalId();
  const now = app.clock();
  const price = input.price ?? 0.6;
  const side = input.side ?? "short";
  await app.db.proposal.create({
    data: {
      id, symbol: "MNT/USDT:USDT", venue: "bybit", side, status: input.status ?? "pending", refPrice: price, quantity: 5000 / price,
      notionalUsd: 5000, marginUsd: 1000, leverage: 5, stopPrice: side === "long" ? price * 0.98 : price * 1.02, horizonHours: 8,
      createdAt: new Date(now), expiresAt: new Date(now + (input.expiresInMinutes ?? 30) * 60_000),
    },
  });
  return id;
}
