import { medianInPlace } from "../order-statistics";
import { formatSignificant, round } from "../stats";
import { firstAtOrAfter } from "../time-order";
import type { Candle, StreamResult, VenueBookView, VenueView } from "./types";

/**
 * Liquidation clusters and order-book walls, two readings of where price is likely to go next:
 *
 * (a) Walls: a resting level far larger than the book's typical level, close to mid. A bid wall
 *     below absorbs selling (support, leans long); an ask wall above absorbs buying (resistance,
 *     leans short).
 * (b) Liquidation clusters: where 5x/10x/20x positions opened over the last day would be forced
 *     out, weighted by the volume traded where they were opened. Price tends to be drawn to
 *     these pools: forced orders are liquidity that large traders hunt, and each liquidation
 *     pushes price further the same way (a cascade). So a pool of long liquidations just below
 *     leans short, a pool of short liquidations just above leans long.
 *
 * Each part scores (for − against) / (for + against) in [-1, 1]; the stream blends them.
 */
export interface LiquidationWallsParams {
  /** Walls count within this fraction of mid, either side. 1%: a wall further off rarely holds intraday. */
  readonly wallBandFraction: number;
  /**
   * A level is a wall when its size is at least this multiple of the median level size of the
   * book (both sides). Book sizes are heavy-tailed (Binance BTC perp top-20 is mostly 0.002–0.01
   * BTC dust): at 20x a typical snapshot has 3 walls among its 40 levels, at 10x 5, at 5x nearly
   * 9, which is no longer a wall but the ordinary book.
   */
  readonly wallMultiple: number;
  /** Positions opened over this look-back are still assumed open. 24 h: the next 4–12 h are driven by the last day's entries. */
  readonly lookbackHours: number;
  /** Leverage tiers assumed, volume split equally among them (the real mix is not public). */
  readonly leverages: readonly number[];
  /** Maintenance margin as a fraction of notional. 0.5%: Binance/Bybit lowest tier is 0.4–0.5%. */
  readonly maintenanceMargin: number;
  /**
   * Clusters count within this fraction of price. 3%, wider than the wall band: the nearest tier
   * (20x) sits ~4.5% from entry, so a 1% band would see clusters only after a ~3.5% day.
   */
  readonly clusterBandFraction: number;
  /** Clusters holding less than this share of the look-back volume are noise: 10%. */
  readonly minClusterShare: number;
  /** Share of the wall part in the blended score when both parts have data. 0.5: no evidence yet for either. */
  readonly wallWeight: number;
  /** |score| at which the stream confirms a direction. 0.5: one part fully one-sided, or both leaning the same way. */
  readonly confirmThreshold: number;
}

export const DEFAULT_LIQUIDATION_WALLS_PARAMS: LiquidationWallsParams = {
  wallBandFraction: 0.01,
  wallMultiple: 20,
  lookbackHours: 24,
  leverages: [5, 10, 20],
  maintenanceMargin: 0.005,
  clusterBandFraction: 0.03,
  minClusterShare: 0.1,
  wallWeight: 0.5,
  confirmThreshold: 0.5,
};

const HOUR_MS = 3_600_000;

interface PartReading {
  readonly score: number;
  readonly numbers: Record<string, number>;
  readonly text: string;
}

export function liquidationWalls(
  venue: VenueView,
  decisionTs: number,
  params: LiquidationWallsParams = DEFAULT_LIQUIDATION_WALLS_PARAMS,
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
  // The parts' numbers in order, then the score: a spread of both into one literal took the
  // runtime's slow path (this runs for every venue of every symbol each cycle).
  const numbers: Record<string, number> = {};
  if (walls !== null) copyNumbers(walls.numbers, numbers);
  if (clusters !== null) copyNumbers(clusters.numbers, numbers);
  numbers.score = round(score, 4);
  const text = walls !== null && clusters !== null ? `${walls.text}; ${clusters.text}` : (walls ?? clusters)?.text ?? "";
  return {
    stream: "liquidation-walls", venue: venue.venue, available: true, score, confirms, numbers,
    summary: `On ${venue.venue} ${text}` + (triggered ? `: leaning ${confirms}.` : ": no clear lean."),
  };
}

function copyNumbers(from: Record<string, number>, to: Record<string, number>): void {
  for (const key of Object.keys(from)) to[key] = from[key] as number;
}

/**
 * Wall part: null when the book lacks a side (no mid). Loops over the levels with a positive price
 * and size, in book order, instead of filtered copies: the same sums and the same largest wall.
 */
function readWalls(book: VenueBookView, params: LiquidationWallsParams): PartReading | null {
  let bestBid = Number.NEGATIVE_INFINITY;
  let bestAsk = Number.POSITIVE_INFINITY;
  const sizes = sizeScratch(book.bids.length + book.asks.length);
  let n = 0;
  // Indexed loops, no destructuring: destructuring a level allocated an iterator and ran ~4x slower.
  for (let i = 0; i < book.bids.length; i++) {
    const level = book.bids[i] as readonly [number, number];
    const price = level[0];
    const qty = level[1];
    if (!(price > 0 && qty > 0)) continue;
    if (price > bestBid) bestBid = price;
    sizes[n++] = qty;
  }
  const bidCount = n;
  for (let i = 0; i < book.asks.length; i++) {
    const level = book.asks[i] as readonly [number, number];
    const price = level[0];
    const qty = level[1];
    if (!(price > 0 && qty > 0)) continue;
    if (price < bestAsk) bestAsk = price;
    sizes[n++] = qty;
  }
  if (bidCount === 0 || n === bidCount) return null;
  const mid = (bestBid + bestAsk) / 2;
  // The median by selection: the element(s) a sort puts in the middle, without the sort.
  const medianQty = medianInPlace(sizes, n);
  const bids = wallsOf(book.bids, mid, medianQty, params);
  const asks = wallsOf(book.asks, mid, medianQty, params);
  const bidQty = bids.qty;
  const askQty = asks.qty;
  // Support below leans long, resistance above leans short.
  const score = bidQty + askQty > 0 ? (bidQty - askQty) / (bidQty + askQty) : 0;
  const biggestBid = bids.largest;
  const biggestAsk = asks.largest;
  const numbers: Record<string, number> = { mid, medianLevelQty: medianQty, bidWallQty: bidQty, askWallQty: askQty, wallScore: round(score, 4) };
  if (biggestBid !== null) Object.assign(numbers, { bidWallPrice: biggestBid[0], bidWallMaxQty: biggestBid[1] });
  if (biggestAsk !== null) Object.assign(numbers, { askWallPrice: biggestAsk[0], askWallMaxQty: biggestAsk[1] });
  return { score, numbers, text: `${describeWall("bid", biggestBid, mid)}, ${describeWall("ask", biggestAsk, mid)}` };
}

/** The walls of one side, in book order: their summed size and the first of the largest. */
function wallsOf(levels: VenueBookView["bids"], mid: number, medianQty: number, params: LiquidationWallsParams): { qty: number; largest: readonly [number, number] | null } {
  let qty = 0;
  let largest: readonly [number, number] | null = null;
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i] as readonly [number, number];
    const price = level[0];
    const size = level[1];
    if (!(price > 0 && size > 0)) continue;
    if (!(size >= params.wallMultiple * medianQty && Math.abs(price - mid) <= params.wallBandFraction * mid)) continue;
    qty += size;
    if (largest === null || size > largest[1]) largest = level;
  }
  return { qty, largest };
}

function describeWall(side: string, wall: readonly [number, number] | null, mid: number): string {
  return wall === null ? `no ${side} wall` : `${side} wall ${round(wall[1], 3)} at ${formatSignificant(wall[0])} (${round(((wall[0] - mid) / mid) * 100, 3)}%)`;
}

/** Module scratch, one call at a time (the core is synchronous); grown when a book is deeper. */
let sizes = new Float64Array(64);
function sizeScratch(size: number): Float64Array {
  if (sizes.length < size) sizes = new Float64Array(size);
  return sizes;
}

/** Cluster part: null without closed candles in the look-back. */
function readClusters(venue: VenueView, decisionTs: number, params: LiquidationWallsParams): PartReading | null {
  const fromTs = decisionTs - params.lookbackHours * HOUR_MS;
  // Bars are oldest first (VenueView's contract): start at the look-back, not at the month's first bar.
  // The bars in the look-back go into reused scratch (this runs for every venue at every decision time).
  const all = venue.perpCandles;
  const candles = clusterScratch.candles;
  candles.length = 0;
  for (let i = firstAtOrAfter(all, fromTs); i < all.length; i++) {
    const c = all[i] as Candle;
    if (c.ts >= fromTs && c.ts + HOUR_MS <= decisionTs) candles.push(c);
  }
  const last = candles.at(-1);
  if (last === undefined || params.leverages.length === 0) {
    candles.length = 0;
    return null;
  }
  const price = venue.price > 0 ? venue.price : last.close;
  let totalVolume = 0;
  for (const c of candles) totalVolume += c.volume;
  if (!(totalVolume > 0)) {
    candles.length = 0;
    return null;
  }

  // Lowest low / highest high traded after each candle: a level price has already crossed has
  // been liquidated and no longer exists.
  const { lowAfter, highAfter } = extremesScratch(candles.length);
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
  for (let i = 0; i < candles.length; i++) {
    const c = candles[i] as Candle;
    const typical = (c.high + c.low + c.close) / 3;
    const mass = c.volume / params.leverages.length;
    for (const leverage of params.leverages) {
      const longLiquidation = typical * (1 - 1 / leverage + params.maintenanceMargin);
      const shortLiquidation = typical * (1 + 1 / leverage - params.maintenanceMargin);
      if (longLiquidation < price && price - longLiquidation <= band && longLiquidation < (lowAfter[i] as number)) {
        longMass += mass;
        longPriceMass += mass * longLiquidation;
      }
      if (shortLiquidation > price && shortLiquidation - price <= band && shortLiquidation > (highAfter[i] as number)) {
        shortMass += mass;
        shortPriceMass += mass * shortLiquidation;
      }
    }
  }
  // The scratch holds no bar past this call.
  candles.length = 0;

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

/** Module scratch for readClusters, one call at a time; grown when a look-back holds more bars. */
const clusterScratch = { candles: [] as Candle[], lowAfter: new Float64Array(64), highAfter: new Float64Array(64) };

function extremesScratch(size: number): { lowAfter: Float64Array; highAfter: Float64Array } {
  if (clusterScratch.lowAfter.length < size) {
    clusterScratch.lowAfter = new Float64Array(size);
    clusterScratch.highAfter = new Float64Array(size);
  }
  return clusterScratch;
}
