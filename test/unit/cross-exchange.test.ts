import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { crossExchange, DEFAULT_CROSS_EXCHANGE_PARAMS } from "../../src/core/signals/cross-exchange";
import type { SymbolMarketView, TimedRate, VenueView } from "../../src/core/signals/types";

const HOUR = 3_600_000;
const T = Date.UTC(2025, 0, 10, 8, 0, 0);

interface Reading {
  readonly venue: string;
  readonly rate: number;
  readonly intervalHours?: number;
  readonly volume?: number | null;
  readonly ts?: number;
}

function view(readings: readonly Reading[], ts = T): SymbolMarketView {
  const venues: VenueView[] = readings.map((r) => ({
    venue: r.venue, price: 100, book: null, previousBook: null, perpCandles: [], spotCandles: [],
    perpVolume24h: r.volume ?? null,
    funding: { current: { ts: r.ts ?? ts, rate: r.rate }, intervalHours: r.intervalHours ?? 8, history: [] },
  }));
  return { symbol: "BTC/USDT:USDT", ts, venues };
}

describe("crossExchange (hand-built)", () => {
  it("flags a spread above 0.05% and leans against crowded longs", () => {
    // 0.01% vs 0.07%: spread 0.06% > 0.05%. Volumes unknown → equal weights → 0.04% > the
    // neutral 0.01% → longs paying up → short.
    const result = crossExchange(view([{ venue: "binance", rate: 0.0001 }, { venue: "gate", rate: 0.0007 }]));
    expect(result.available).toBe(true);
    expect(result.flagged).toBe(true);
    expect(result.spread).toBeCloseTo(0.0006, 15);
    expect(result.weighting).toBe("equal");
    expect(result.volumeWeightedFunding).toBeCloseTo(0.0004, 15);
    expect(result.direction).toBe("short");
    expect(result.perVenue).toEqual([{ venue: "binance", rate8h: 0.0001, weight: 0.5 }, { venue: "gate", rate8h: 0.0007, weight: 0.5 }]);
    expect(result.summary).toContain("volumes unknown");
  });

  it("does not flag a spread of exactly 0.05%, and does just above it", () => {
    // 0.0006 − 0.0001 is 0.0004999999999999999 in binary; either way "above 0.05%" is false.
    expect(crossExchange(view([{ venue: "a", rate: 0.0001 }, { venue: "b", rate: 0.0006 }]))).toMatchObject({ flagged: false, direction: "neutral" });
    // 0.00060001 − 0.0001 = 0.00050001 → flagged.
    expect(crossExchange(view([{ venue: "a", rate: 0.0001 }, { venue: "b", rate: 0.00060001 }])).flagged).toBe(true);
    expect(DEFAULT_CROSS_EXCHANGE_PARAMS.spreadThreshold).toBe(0.0005);
  });

  it("weights by 24 h perp volume when every venue reports it", () => {
    // 0.01% on 300 BTC and −0.05% on 100 BTC: weights 0.75 / 0.25 → 0.000075 − 0.000125 =
    // −0.00005 < 0.01% → shorts paying up → long. Spread 0.06% → flagged.
    const result = crossExchange(view([{ venue: "bybit", rate: 0.0001, volume: 300 }, { venue: "htx", rate: -0.0005, volume: 100 }]));
    expect(result.weighting).toBe("volume");
    expect(result.perVenue.map((v) => v.weight)).toEqual([0.75, 0.25]);
    expect(result.volumeWeightedFunding).toBeCloseTo(-0.00005, 15);
    expect(result.direction).toBe("long");
    expect(result.summary).toContain("volume-weighted");
    // One venue without a volume: all count equally, and the result says so.
    const mixed = crossExchange(view([{ venue: "bybit", rate: 0.0001, volume: 300 }, { venue: "htx", rate: -0.0005, volume: null }]));
    expect(mixed.weighting).toBe("equal");
    expect(mixed.volumeWeightedFunding).toBeCloseTo(-0.0002, 15);
  });

  it("scales hourly and 4-hourly venues to 8 h before comparing", () => {
    // dYdX 0.01% per hour = 0.08% per 8 h; a 4 h venue's 0.02% = 0.04%. Against 0.01% per 8 h:
    // spread 0.07% → flagged (unscaled, 0.01% vs 0.01% would be no spread at all).
    const result = crossExchange(view([
      { venue: "binance", rate: 0.0001 },
      { venue: "dydx", rate: 0.0001, intervalHours: 1 },
      { venue: "kucoin", rate: 0.0002, intervalHours: 4 },
    ]));
    expect(result.perVenue.map((v) => v.rate8h)).toEqual([0.0001, 0.0008, 0.0004]);
    expect(result.spread).toBeCloseTo(0.0007, 15);
    expect(result.flagged).toBe(true);
  });

  it("stays neutral at the resting rate and when not flagged", () => {
    // Weighted exactly 0.01% although flagged: no side is paying up → neutral.
    expect(crossExchange(view([{ venue: "a", rate: -0.0002 }, { venue: "b", rate: 0.0004 }])).direction).toBe("neutral");
    // High funding everywhere, but agreeing: not an anomaly → neutral.
    expect(crossExchange(view([{ venue: "a", rate: 0.001 }, { venue: "b", rate: 0.0011 }]))).toMatchObject({ flagged: false, direction: "neutral" });
  });

  it("needs two fresh venues and reads nothing after the decision time", () => {
    expect(crossExchange(view([{ venue: "a", rate: 0.0001 }])).available).toBe(false);
    const noFunding: SymbolMarketView = { symbol: "X", ts: T, venues: [] };
    expect(crossExchange(noFunding).summary).toContain("0 venues");
    // A reading stamped after T is left out (and so is one older than 8 h) …
    const withFuture = crossExchange(view([{ venue: "a", rate: 0.0001 }, { venue: "b", rate: 0.002, ts: T + 1 }]));
    expect(withFuture.available).toBe(false);
    const stale = crossExchange(view([{ venue: "a", rate: 0.0001 }, { venue: "b", rate: 0.002, ts: T - 8 * HOUR - 1 }]));
    expect(stale.available).toBe(false);
    // … while exactly 8 h old still counts.
    expect(crossExchange(view([{ venue: "a", rate: 0.0001 }, { venue: "b", rate: 0.002, ts: T - 8 * HOUR }])).flagged).toBe(true);
  });
});

// ---- Real data: BTC funding on seven venues, 2022–2023 (dYdX hourly). CRLF line ends. ----

const VENUES = ["binance", "bybit", "dydx", "gate", "htx", "kucoin", "mexc"] as const;
const DIR = new URL("../../../shared/data/funding_multi_exchange/", import.meta.url);

function loadPrints(venue: string): TimedRate[] {
  const file = new URL(`BTC-USDT_${venue}_funding.csv`, DIR);
  const lines = readFileSync(file, "utf8").trim().split(/\r?\n/);
  if (lines[0] !== "ts_ms,time_utc,exchange,symbol,funding_rate") throw new Error(`unexpected header in ${file.pathname}`);
  return lines.slice(1).map((line) => {
    const [ts, , , , rate] = line.split(",");
    return { ts: Number(ts), rate: Number(rate) };
  });
}

/** Binary search in prints sorted by time (the files are): the last one stamped ≤ t. */
function latestAtOrBefore(sorted: readonly TimedRate[], t: number): TimedRate | undefined {
  let low = 0;
  let high = sorted.length; // answer index is low - 1 after the loop
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((sorted[mid]?.ts ?? Infinity) <= t) low = mid + 1;
    else high = mid;
  }
  return sorted[low - 1];
}

describe("crossExchange on real BTC funding from seven venues", () => {
  const prints = new Map(VENUES.map((v) => [v, loadPrints(v)]));

  /** Each venue's latest settled print at or before t, as that venue's live reading. */
  function viewAt(t: number): SymbolMarketView {
    const venues: VenueView[] = VENUES.flatMap((venue) => {
      const latest = latestAtOrBefore(prints.get(venue) ?? [], t);
      if (latest === undefined) return [];
      return [{
        venue, price: 0, book: null, previousBook: null, perpCandles: [], spotCandles: [], perpVolume24h: null,
        funding: { current: latest, intervalHours: venue === "dydx" ? 1 : 8, history: [] },
      }];
    });
    return { symbol: "BTC/USDT:USDT", ts: t, venues };
  }

  it("flags 2023-12-14 00:00, where dYdX's hourly rate is 0.081% per 8 h", () => {
    // Prints at 00:00: binance, gate, htx, mexc 0.0001; bybit 0.00010146; dydx 0.0001013273 per
    // hour → ×8 = 0.0008106184; kucoin's latest is 20:00's 0.000291. Spread 0.0008106184 − 0.0001.
    const result = crossExchange(viewAt(Date.UTC(2023, 11, 14)));
    expect(result.perVenue).toHaveLength(7);
    expect(result.perVenue.find((v) => v.venue === "dydx")?.rate8h).toBeCloseTo(0.0001013273 * 8, 15);
    expect(result.spread).toBeCloseTo(0.0007106184, 12);
    expect(result.flagged).toBe(true);
    // Equal weights: (4·0.0001 + 0.00010146 + 0.0008106184 + 0.000291) / 7 = 0.00022895548…
    expect(result.volumeWeightedFunding).toBeCloseTo((0.0004 + 0.00010146 + 0.0008106184 + 0.000291) / 7, 12);
    expect(result.direction).toBe("short");
    // Unscaled, dYdX's 0.0001013 would sit next to everyone's 0.0001 and kucoin's 0.000291 would
    // be the outlier at only 0.0191%: no anomaly. The ×8 is what finds this one.
    const unscaled = viewAt(Date.UTC(2023, 11, 14));
    const as8h = { ...unscaled, venues: unscaled.venues.map((v) => (v.funding === null ? v : { ...v, funding: { ...v.funding, intervalHours: 8 } })) };
    expect(crossExchange(as8h).spread).toBeCloseTo(0.000191, 12);
    expect(crossExchange(as8h).flagged).toBe(false);
  });

  it("flags the FTX collapse, 2022-11-10 08:00, where the spread is 0.149%", () => {
    // kucoin (04:00 print) 0.0001 vs dydx −0.0001739005 per hour = −0.001391204 per 8 h.
    const result = crossExchange(viewAt(Date.UTC(2022, 10, 10, 8)));
    expect(result.spread).toBeCloseTo(0.0001 + 0.0001739005 * 8, 12);
    expect(result.flagged).toBe(true);
    expect(result.direction).toBe("long"); // funding deeply negative across venues: shorts crowded
    expect(result.summary).toContain("kucoin");
  });

  it("flags a small share of 8-hourly moments over 2022–2023", () => {
    let moments = 0;
    let flagged = 0;
    for (let t = Date.UTC(2022, 0, 1); t < Date.UTC(2024, 0, 1); t += 8 * HOUR) {
      const result = crossExchange(viewAt(t));
      moments += 1;
      if (result.flagged) {
        flagged += 1;
        expect(result.spread).toBeGreaterThan(0.0005);
        expect(result.direction).not.toBe("neutral");
      } else if (result.available) {
        expect(result.spread).toBeLessThanOrEqual(0.0005 + 1e-12);
      }
    }
    // Measured: 96 of 2,190 (4.4%), clustered in stress (Jan 2022, LUNA in May, FTX in November).
    expect(moments).toBe(2190);
    expect(flagged / moments).toBeGreaterThan(0.01);
    expect(flagged / moments).toBeLessThan(0.15);
  });
});
