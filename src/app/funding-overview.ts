import { crossVenueView, type CrossVenueView, type VenueMarketReading } from "../core/market/cross-venue";
import { heldQuantity } from "../core/trading/orders";
import { fundingCashFlow } from "../core/trades/pnl";
import type { Side } from "../core/trading/types";
import type { App } from "./context";
import { latestSnapshot } from "./market-view";
import { openPositionViews } from "./portfolio";

export interface VenueFundingRow {
  readonly venue: string;
  /** Per settlement, decimal (0.0001 = 0.01%); positive: longs pay shorts. */
  readonly rate: number;
  readonly intervalHours: number;
  readonly rate8h: number;
  readonly ageMs: number;
  readonly stale: boolean;
  /** The venue's next settlement as it last reported it; null when it did not say. */
  readonly nextFundingTs: number | null;
}

export interface PositionFunding {
  readonly id: string;
  readonly side: Side;
  readonly venue: string;
  readonly quantity: number;
  readonly markPrice: number;
  /** At the next settlement, at today's rate and mark: positive received, negative paid; null: no rate for its venue. */
  readonly amount: number | null;
  readonly rate: number | null;
  readonly nextFundingTs: number | null;
  /** The rate it is estimated from is older than the data-age limit. */
  readonly stale: boolean;
}

export interface FundingOverview {
  readonly symbol: string;
  readonly venues: readonly VenueFundingRow[];
  /** Configured venues with no funding reading for this symbol at all. */
  readonly missing: readonly string[];
  /** Between fresh venues only (the pure cross-venue view leaves stale ones out). */
  readonly largestSpread: CrossVenueView["largestSpread"];
  readonly weightedFunding8h: number | null;
  readonly positions: readonly PositionFunding[];
}

/**
 * Funding for one symbol from each venue's latest stored snapshot: rate, interval, the 8 h
 * footing, the next settlement, the widest fresh spread (core/market/cross-venue.ts), and what
 * each open position on the symbol will pay or receive at its venue's next settlement.
 */
export async function fundingOverview(app: App, symbol: string, now: number): Promise<FundingOverview> {
  const snapshots = await Promise.all(app.settings.venues.map(async (venue) => ({ venue, snapshot: await latestSnapshot(app, venue, symbol, now) })));
  const readings: VenueMarketReading[] = snapshots.flatMap(({ venue, snapshot: s }) => (s === null ? [] : [{
    venue,
    funding: s.fundingRate === null ? null : { rate: s.fundingRate, intervalHours: s.fundingIntervalHours ?? 8, ts: s.ts.getTime() },
    perpVolume: s.quoteVolume24h === null && s.baseVolume24h === null ? null : { base: s.baseVolume24h, quote: s.quoteVolume24h, ts: s.ts.getTime() },
    spotVolume: null,
    openInterest: null,
  }]));
  const view = crossVenueView(symbol, now, readings, app.settings.marketData.maxDataAgeMs);
  const nextOf = (venue: string): number | null => snapshots.find((s) => s.venue === venue)?.snapshot?.nextFundingTs?.getTime() ?? null;
  const venues = view.funding.map((f): VenueFundingRow => ({
    venue: f.venue, rate: f.rate, intervalHours: f.intervalHours, rate8h: f.rate8h, ageMs: f.ageMs, stale: f.stale, nextFundingTs: nextOf(f.venue),
  }));
  const positions = (await openPositionViews(app, now))
    .filter((v) => v.trade.terms.symbol === symbol)
    .map(({ trade, markPrice }): PositionFunding => {
      const row = venues.find((v) => v.venue === trade.terms.venue) ?? null;
      const quantity = heldQuantity(trade).toNumber();
      return {
        id: trade.terms.id, side: trade.terms.side, venue: trade.terms.venue, quantity, markPrice,
        amount: row === null ? null : fundingCashFlow(trade.terms.side, quantity, markPrice, row.rate),
        rate: row?.rate ?? null, nextFundingTs: row?.nextFundingTs ?? null, stale: row?.stale ?? true,
      };
    });
  return {
    symbol, venues, missing: app.settings.venues.filter((v) => !venues.some((r) => r.venue === v)),
    largestSpread: view.largestSpread, weightedFunding8h: view.weightedFunding8h, positions,
  };
}
