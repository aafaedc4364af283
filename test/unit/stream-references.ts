import type { LiquidationWallsParams } from "../../src/core/signals/liquidation-walls";
import type { Candle, Direction, StreamResult, VenueBookView, VenueView } from "../../src/core/signals/types";
import type { VolumeDivergenceParams } from "../../src/core/signals/volume-divergence";
import { clamp, formatSignificant, round } from "../../src/core/stats";
import { firstAtOrAfter } from "../../src/core/time-order";

/**
 * The streams' code before its loops and scratch arrays (filters, spreads, a sorted median, bars
 * in a plain array, a Set of votes): the reference stream-fast-paths.test.ts holds them to.
 */
const HOUR = 3_600_000;

export function referenceCombineVenues(results: readonly StreamResult[]): StreamResult | null {
  const first = results[0];
  if (first === undefined) return null;
  const available = results.filter((r) => r.available);
  if (available.length === 0) return { ...first, venue: results.map((r) => r.venue).join("+") };
  const score = available.reduce((sum, r) => sum + r.score, 0) / available.length;
  const votes = new Set(available.map((r) => r.confirms).filter((d) => d !== "neutral"));
  const confirms: Direction = votes.size === 1 ? [...votes][0] ?? "neutral" : "neutral";
  const numbers: Record<string, number> = {};
  for (const r of available) for (const key in r.numbers) numbers[`${r.venue}.${key}`] = r.numbers[key] ?? Number.NaN;
  return { stream: first.stream, venue: available.map((r) => r.venue).join("+"), available: true, score, confirms, numbers, summary: available.map((r) => r.summary).join(" ") };
}

export function referenceBandDepth(book: VenueBookView, bandFraction: number): { mid: number; bidDepth: number; askDepth: number; imbalance: number } | null {
  let bestBid = Number.NEGATIVE_INFINITY;
  let bestAsk = Number.POSITIVE_INFINITY;
  for (const [price, qty] of book.bids) if (price > 0 && qty > 0 && price > bestBid) bestBid = price;
  for (const [price, qty] of book.asks) if (price > 0 && qty > 0 && price < bestAsk) bestAsk = price;
  if (bestBid === Number.NEGATIVE_INFINITY || bestAsk === Number.POSITIVE_INFINITY) return null;
  const mid = (bestBid + bestAsk) / 2;
  let bidDepth = 0;
  let askDepth = 0;
  for (const [price, qty] of book.bids) if (price > 0 && qty > 0 && Math.abs(price - mid) <= bandFraction * mid) bidDepth += qty;
  for (const [price, qty] of book.asks) if (price > 0 && qty > 0 && Math.abs(price - mid) <= bandFraction * mid) askDepth += qty;
  return { mid, bidDepth, askDepth, imbalance: (bidDepth - askDepth) / (bidDepth + askDepth) };
}



interface PartReading {
  readonly score: number;
  readonly numbers: Record<string, number>;
  readonly text: string;
}

export function referenceLiquidationWalls(
  venue: VenueView,
  decisionTs: number,
  params: LiquidationWallsParams,
): StreamResult {
  // A book stamped after the decision would be lookahead: ignore it.
  const walls = venue.book !== null && venue.book.ts <= decisionTs ? readWalls(venue.book, params) : null;
  const clusters = readClusters(venue, decisionTs, params);
  if (walls === null && clusters === null) {
    return {
      stream: "liquidation-walls", venue: venue.venue, available: false, score: 0, confirms: "neutral", numbers: {},
      summary: `Liquidation walls on ${venue.venue}: no order book and no candles for the last ${params.lookbackHours}h.`,
    };
  }
  const score =
    walls !== null && clusters !== null
      ? params.wallWeight * walls.score + (1 - params.wallWeight) * clusters.score
      : (walls ?? clusters)?.score ?? 0;
  const triggered = Math.abs(score) >= params.confirmThreshold - 1e-9;
  const confirms = !triggered ? "neutral" : score > 0 ? "long" : "short";
  return {
    stream: "liquidation-walls", venue: venue.venue, available: true, score, confirms,
    numbers: { ...walls?.numbers, ...clusters?.numbers, score: round(score, 4) },
    summary: `On ${venue.venue} ${[walls?.text, clusters?.text].filter((t) => t !== undefined).join("; ")}` +
      (triggered ? `: leaning ${confirms}.` : ": no clear lean."),
  };
}

/** Wall part: null when the book lacks a side (no mid). */
function readWalls(book: VenueBookView, params: LiquidationWallsParams): PartReading | null {
  const bids = book.bids.filter(([price, qty]) => price > 0 && qty > 0);
  const asks = book.asks.filter(([price, qty]) => price > 0 && qty > 0);
  if (bids.length === 0 || asks.length === 0) return null;
  const bestBid = Math.max(...bids.map(([price]) => price));
  const bestAsk = Math.min(...asks.map(([price]) => price));
  const mid = (bestBid + bestAsk) / 2;
  const medianQty = median([...bids, ...asks].map(([, qty]) => qty));
  const isWall = ([price, qty]: readonly [number, number]): boolean =>
    qty >= params.wallMultiple * medianQty && Math.abs(price - mid) <= params.wallBandFraction * mid;
  const bidWalls = bids.filter(isWall);
  const askWalls = asks.filter(isWall);
  const bidQty = bidWalls.reduce((sum, [, qty]) => sum + qty, 0);
  const askQty = askWalls.reduce((sum, [, qty]) => sum + qty, 0);
  // Support below leans long, resistance above leans short.
  const score = bidQty + askQty > 0 ? (bidQty - askQty) / (bidQty + askQty) : 0;
  const biggestBid = largest(bidWalls);
  const biggestAsk = largest(askWalls);
  const numbers: Record<string, number> = { mid, medianLevelQty: medianQty, bidWallQty: bidQty, askWallQty: askQty, wallScore: round(score, 4) };
  if (biggestBid !== null) Object.assign(numbers, { bidWallPrice: biggestBid[0], bidWallMaxQty: biggestBid[1] });
  if (biggestAsk !== null) Object.assign(numbers, { askWallPrice: biggestAsk[0], askWallMaxQty: biggestAsk[1] });
  const describe = (side: string, wall: readonly [number, number] | null): string =>
    wall === null ? `no ${side} wall` : `${side} wall ${round(wall[1], 3)} at ${formatSignificant(wall[0])} (${round(((wall[0] - mid) / mid) * 100, 3)}%)`;
  return { score, numbers, text: `${describe("bid", biggestBid)}, ${describe("ask", biggestAsk)}` };
}

/** Cluster part: null without closed candles in the look-back. */
function readClusters(venue: VenueView, decisionTs: number, params: LiquidationWallsParams): PartReading | null {
  const fromTs = decisionTs - params.lookbackHours * HOUR;
  // Bars are oldest first (VenueView's contract): start at the look-back, not at the month's first bar.
  const all = venue.perpCandles;
  const candles: Candle[] = [];
  for (let i = firstAtOrAfter(all, fromTs); i < all.length; i++) {
    const c = all[i] as Candle;
    if (c.ts >= fromTs && c.ts + HOUR <= decisionTs) candles.push(c);
  }
  const last = candles.at(-1);
  if (last === undefined || params.leverages.length === 0) return null;
  const price = venue.price > 0 ? venue.price : last.close;
  const totalVolume = candles.reduce((sum, c) => sum + c.volume, 0);
  if (!(totalVolume > 0)) return null;

  // Lowest low / highest high traded after each candle: a level price has already crossed has
  // been liquidated and no longer exists.
  const lowAfter: number[] = new Array<number>(candles.length);
  const highAfter: number[] = new Array<number>(candles.length);
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  for (let i = candles.length - 1; i >= 0; i--) {
    lowAfter[i] = low;
    highAfter[i] = high;
    const c = candles[i] as Candle;
    low = Math.min(low, c.low);
    high = Math.max(high, c.high);
  }

  const band = params.clusterBandFraction * price;
  let longMass = 0;
  let longPriceMass = 0;
  let shortMass = 0;
  let shortPriceMass = 0;
  candles.forEach((c, i) => {
    const typical = (c.high + c.low + c.close) / 3;
    const mass = c.volume / params.leverages.length;
    for (const leverage of params.leverages) {
      const longLiquidation = typical * (1 - 1 / leverage + params.maintenanceMargin);
      const shortLiquidation = typical * (1 + 1 / leverage - params.maintenanceMargin);
      if (longLiquidation < price && price - longLiquidation <= band && longLiquidation < (lowAfter[i] ?? Infinity)) {
        longMass += mass;
        longPriceMass += mass * longLiquidation;
      }
      if (shortLiquidation > price && shortLiquidation - price <= band && shortLiquidation > (highAfter[i] ?? -Infinity)) {
        shortMass += mass;
        shortPriceMass += mass * shortLiquidation;
      }
    }
  });

  const longShare = longMass / totalVolume;
  const shortShare = shortMass / totalVolume;
  const meaningful = longShare + shortShare >= params.minClusterShare;
  // Pools attract price: short liquidations above lean long, long liquidations below lean short.
  const score = meaningful ? (shortMass - longMass) / (shortMass + longMass) : 0;
  const numbers: Record<string, number> = {
    price, longLiqShareBelow: round(longShare, 4), shortLiqShareAbove: round(shortShare, 4), clusterScore: round(score, 4),
  };
  const parts: string[] = [];
  if (longMass > 0) {
    const level = longPriceMass / longMass;
    Object.assign(numbers, { longLiqPrice: round(level, 2), longLiqDistance: round((price - level) / price, 5) });
    parts.push(`${round(longShare * 100, 1)}% as longs around ${round(level, 2)} (${round(((price - level) / price) * 100, 2)}% below)`);
  }
  if (shortMass > 0) {
    const level = shortPriceMass / shortMass;
    Object.assign(numbers, { shortLiqPrice: round(level, 2), shortLiqDistance: round((level - price) / price, 5) });
    parts.push(`${round(shortShare * 100, 1)}% as shorts around ${round(level, 2)} (${round(((level - price) / price) * 100, 2)}% above)`);
  }
  const text = parts.length === 0
    ? `no liquidation clusters within ${round(params.clusterBandFraction * 100, 2)}% of price`
    : `${parts.join(", ")} of the day's volume would be liquidated${meaningful ? "" : " (too small to matter)"}`;
  return { score, numbers, text };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] ?? upper) + upper) / 2;
}

function largest(levels: readonly (readonly [number, number])[]): readonly [number, number] | null {
  return levels.reduce<readonly [number, number] | null>((best, level) => (best === null || level[1] > best[1] ? level : best), null);
}

export function referenceVolumeDivergence(
  venue: VenueView,
  decisionTs: number,
  params: VolumeDivergenceParams,
): StreamResult {
  // Without perp or spot candles every window has a hole: unavailable, with no window counted
  // (what the loops below would find, without building two empty hour arrays per venue).
  if (venue.perpCandles.length === 0 || venue.spotCandles.length === 0) {
    return {
      stream: "volume-divergence", venue: venue.venue, available: false, score: 0, confirms: "neutral",
      numbers: { baselineWindows: 0, needed: params.minBaselineWindows },
      summary: `Spot vs perp volume on ${venue.venue}: no complete perp and spot candles for the last ${params.recentHours}h.`,
    };
  }
  // Windows end at the last full hour: a candle counts only once closed (ts + 1 h ≤ decisionTs).
  const endTs = Math.floor(decisionTs / HOUR) * HOUR;
  const fromTs = endTs - (params.baselineHours + params.recentHours) * HOUR;
  const slotCount = Math.max(0, Math.ceil((endTs - fromTs) / HOUR));
  const perp = referenceByHour(venue.perpCandles, fromTs, endTs, referenceScratch.perp);
  const spot = referenceByHour(venue.spotCandles, fromTs, endTs, referenceScratch.spot);

  const recentStart = endTs - params.recentHours * HOUR;
  const recentRatio = referenceLogRatioFrom(perp, spot, slotCount, (recentStart - fromTs) / HOUR, params.recentHours);
  const recent = Number.isNaN(recentRatio) ? null : recentRatio;
  // Baseline windows end at or before the recent window starts: no overlap with what is judged.
  // Kept in a reused referenceScratch array (this runs at every decision time of a backtest).
  const baseline = referenceBaselineScratch(slotCount);
  let windows = 0;
  for (let start = fromTs; start + params.recentHours * HOUR <= recentStart; start += HOUR) {
    const ratio = referenceLogRatioFrom(perp, spot, slotCount, (start - fromTs) / HOUR, params.recentHours);
    if (!Number.isNaN(ratio)) baseline[windows++] = ratio;
  }
  const unavailable = (reason: string): StreamResult => ({
    stream: "volume-divergence", venue: venue.venue, available: false, score: 0, confirms: "neutral",
    numbers: { baselineWindows: windows, needed: params.minBaselineWindows },
    summary: `Spot vs perp volume on ${venue.venue}: ${reason}.`,
  });
  if (recent === null) return unavailable(`no complete perp and spot candles for the last ${params.recentHours}h`);
  if (windows < params.minBaselineWindows) {
    return unavailable(`not enough history yet (${windows} of ${params.minBaselineWindows} ${params.recentHours}h windows)`);
  }

  // stats.ts's mean and sampleStd, the same sums in the same order, over the referenceScratch array.
  let total = 0;
  for (let i = 0; i < windows; i++) total += baseline[i] as number;
  const average = total / windows;
  let squares = 0;
  for (let i = 0; i < windows; i++) squares += ((baseline[i] as number) - average) * ((baseline[i] as number) - average);
  const std = Math.max(windows < 2 ? Number.NaN : Math.sqrt(squares / (windows - 1)), params.minStd);
  const z = (recent - average) / std;
  const first = perp[(recentStart - fromTs) / HOUR];
  const last = perp[(endTs - HOUR - fromTs) / HOUR];
  const move = first !== undefined && last !== undefined && first.open > 0 && last.close > 0 ? Math.log(last.close / first.open) : 0;
  const moveMatters = Math.abs(move) >= params.minMove;
  const triggered = z >= params.zThreshold - 1e-9 && moveMatters;
  // Fade the move: at the trigger |score| = 0.5, at twice it 1; spot-led (z ≤ 0) scores 0.
  const score = moveMatters && z > 0 ? -Math.sign(move) * clamp(z / (2 * params.zThreshold), 0, 1) : 0;
  const confirms = !triggered ? "neutral" : move > 0 ? "short" : "long";
  const ratioText = `perp/spot volume ${round(Math.exp(recent), 2)}x over ${params.recentHours}h vs ${round(Math.exp(average), 2)}x typical (${round(z, 2)}σ)`;
  const summary = triggered
    ? `On ${venue.venue} ${ratioText} while price moved ${percent2(move)}: leverage, not spot demand, is driving it, leaning ${confirms}.`
    : z >= params.zThreshold - 1e-9
      ? `On ${venue.venue} ${ratioText}, but price moved only ${percent2(move)}: nothing to fade.`
      : `On ${venue.venue} ${ratioText}: no divergence.`;
  return {
    stream: "volume-divergence", venue: venue.venue, available: true, score, confirms,
    numbers: {
      recentLogRatio: round(recent, 6), baselineMean: round(average, 6), baselineStd: round(std, 6), z: round(z, 4),
      recentMove: round(move, 6), baselineWindows: windows,
    },
    summary,
  };
}

/**
 * ln(Σ perp volume / Σ spot volume) over the slots [first, first + hours); NaN on any hole (a
 * number, not null: no boxing). Summed from the oldest hour, as the stream always has.
 */
function referenceLogRatioFrom(perp: readonly (Candle | undefined)[], spot: readonly (Candle | undefined)[], slots: number, first: number, hours: number): number {
  let perpVolume = 0;
  let spotVolume = 0;
  for (let h = 0; h < hours; h++) {
    const slot = first + h;
    // The referenceScratch arrays may be longer than this call's slots: what lies past them is not this window's.
    const p = slot < slots ? perp[slot] : undefined;
    const s = slot < slots ? spot[slot] : undefined;
    if (p === undefined || s === undefined) return Number.NaN;
    perpVolume += p.volume;
    spotVolume += s.volume;
  }
  return perpVolume > 0 && spotVolume > 0 ? Math.log(perpVolume / spotVolume) : Number.NaN;
}

/** Module referenceScratch, one call at a time (the core is synchronous); grown when a call needs more. */
const referenceScratch = { perp: [] as (Candle | undefined)[], spot: [] as (Candle | undefined)[], baseline: new Float64Array(0) };

function referenceBaselineScratch(size: number): Float64Array {
  if (referenceScratch.baseline.length < size) referenceScratch.baseline = new Float64Array(size);
  return referenceScratch.baseline;
}

/**
 * Closed candles with open time in [fromTs, endTs), by hours since fromTs, into `out` (an array,
 * not a Map keyed by timestamps: the lookups dominated the cycle's cost; reused, not allocated per
 * call). Later duplicates win; a bar not stamped on a whole hour after fromTs is never looked up,
 * so it gets no slot.
 */
function referenceByHour(candles: readonly Candle[], fromTs: number, endTs: number, out: (Candle | undefined)[]): (Candle | undefined)[] {
  const slots = Math.max(0, Math.ceil((endTs - fromTs) / HOUR));
  for (let i = 0; i < slots; i++) out[i] = undefined;
  // Bars are oldest first (VenueView's contract): start at the window, not at the month's first bar.
  for (let i = firstAtOrAfter(candles, fromTs); i < candles.length; i++) {
    const c = candles[i];
    if (c === undefined) continue;
    if (c.ts < fromTs || c.ts + HOUR > endTs) continue;
    const slot = (c.ts - fromTs) / HOUR;
    if (Number.isInteger(slot)) out[slot] = c;
  }
  return out;
}

function percent2(x: number): string {
  return `${round(x * 100, 2)}%`;
}
