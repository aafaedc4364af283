import { binanceusdm, bitget, bybit, okx, type Exchange, type FundingRate, type MarketInterface, type Ticker } from "ccxt";

/**
 * What perpbot knows about each ccxt venue it reads: its ccxt class and options, how it pages
 * funding history, which book depths it accepts, the shape of its perpetual listing, and the two
 * endpoints whose timestamp ccxt's parse drops. Kept apart from the adapter (ccxt-market-data.ts)
 * so adding or correcting a venue touches this file, not the adapter's retry and checking logic.
 */

export type CcxtVenue = "bybit" | "binanceusdm" | "okx" | "bitget";

/** ccxt's exchange class for each venue, constructed with that venue's VENUE_OPTIONS. */
export const CONSTRUCTORS = { bybit, binanceusdm, okx, bitget } as const;

/** Only linear swaps: fetching every market type would cost several large requests per start. */
export const VENUE_OPTIONS: Readonly<Record<CcxtVenue, Record<string, unknown>>> = {
  bybit: { fetchMarkets: { types: ["linear"] } },
  binanceusdm: { fetchMarkets: { types: ["linear"] } },
  okx: { fetchMarkets: { types: ["swap"] } },
  // The classic account's v2 mix endpoints; `uta: false` also spares an authenticated client the /api/v3 account probe.
  bitget: { fetchMarkets: { types: ["swap"] }, defaultType: "swap", uta: false },
};

/**
 * How each venue pages funding history: Binance forward from startTime, Bybit and OKX backward
 * from the newest by time, Bitget by page number (pageNo 1 is the newest; it takes no times).
 */
export const HISTORY_PAGING: Readonly<Record<CcxtVenue, { readonly limit: number; readonly direction: "forward" | "backward" | "pages" }>> = {
  binanceusdm: { limit: 1000, direction: "forward" },
  bybit: { limit: 200, direction: "backward" },
  okx: { limit: 100, direction: "backward" },
  bitget: { limit: 100, direction: "pages" },
};

/**
 * Depth the venue accepts for a wanted depth: Binance and Bitget only take fixed sizes. Bitget's
 * merge-depth gears are 1/5/15/50 and "max" (its default, without a limit, is 100 levels).
 */
export function bookRequestFor(venue: CcxtVenue, depth: number): { readonly limit: number | undefined; readonly params: Record<string, unknown> } {
  const wanted = Math.max(1, Math.floor(depth));
  if (venue === "binanceusdm") return { limit: [5, 10, 20, 50, 100, 500, 1000].find((n) => n >= wanted) ?? 1000, params: {} };
  if (venue === "bitget") {
    const gear = [1, 5, 15, 50].find((n) => n >= wanted);
    return gear === undefined ? { limit: undefined, params: { limit: "max" } } : { limit: gear, params: {} };
  }
  return { limit: Math.min(wanted, venue === "bybit" ? 500 : 400), params: {} };
}

/** Venues send numbers as JSON numbers or as strings; anything not a finite number reads as null. */
export const finite = (value: unknown): number | null => {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) ? n : null;
};

/** "8h", "4h", or "3600000" (ms: what ccxt leaves for an OKX gap it has no name for) → hours. */
export function intervalHoursFrom(interval: unknown): number | null {
  if (typeof interval === "string" && /^\d+(\.\d+)?h$/.test(interval)) return Number(interval.slice(0, -1));
  const ms = finite(interval);
  return ms !== null && ms >= 3_600_000 ? ms / 3_600_000 : null;
}

/**
 * A minimal but complete ccxt market for a linear perpetual, shaped like the venue's own
 * instrument listing, so `setMarkets` can stand in for `loadMarkets` (tests, offline use).
 * OKX counts sizes in contracts: its `contractSize` (ctVal, e.g. 0.01 for BTC-USDT-SWAP) is
 * required. `fundingIntervalHours` is left out unless given, so the venue's answer decides.
 */
export function perpMarketFor(venue: CcxtVenue, symbol: string, options: { contractSize?: number; fundingIntervalHours?: number } = {}): MarketInterface {
  const parts = /^([A-Z0-9]+)\/([A-Z0-9]+):([A-Z0-9]+)$/.exec(symbol);
  const [, base, quote, settle] = parts ?? [];
  if (base === undefined || quote === undefined || settle === undefined || settle !== quote) {
    throw new Error(`"${symbol}" is not a linear perpetual in ccxt's unified form; write it like MNT/USDT:USDT.`);
  }
  if (venue === "okx" && options.contractSize === undefined) {
    throw new Error(`OKX sizes ${symbol} in contracts: pass its contractSize (ctVal from /api/v5/public/instruments).`);
  }
  const hours = options.fundingIntervalHours;
  const id = venue === "okx" ? `${base}-${quote}-SWAP` : `${base}${quote}`;
  const info: Record<string, unknown> =
    venue === "bybit" ? { symbol: id, contractType: "LinearPerpetual", status: "Trading", baseCoin: base, quoteCoin: quote, settleCoin: settle, ...(hours === undefined ? {} : { fundingInterval: hours * 60 }) }
    : venue === "binanceusdm" ? { symbol: id, pair: id, contractType: "PERPETUAL", status: "TRADING", baseAsset: base, quoteAsset: quote, marginAsset: settle, orderTypes: ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"] }
    : venue === "bitget" ? { symbol: id, baseCoin: base, quoteCoin: quote, supportMarginCoins: [settle], symbolType: "perpetual", symbolStatus: "normal", ...(hours === undefined ? {} : { fundInterval: String(hours) }) }
    : { instId: id, instType: "SWAP", uly: `${base}-${quote}`, instFamily: `${base}-${quote}`, settleCcy: settle, ctVal: String(options.contractSize), ctType: "linear", state: "live" };
  return {
    id, symbol, base, quote, settle, baseId: base, quoteId: quote, settleId: settle,
    type: "swap", subType: "linear", spot: false, margin: false, swap: true, future: false, option: false,
    active: true, contract: true, linear: true, inverse: false, contractSize: options.contractSize ?? 1,
    expiry: undefined, expiryDatetime: undefined, strike: undefined, optionType: undefined, created: undefined,
    precision: { amount: undefined, price: undefined },
    limits: { amount: { min: undefined, max: undefined }, price: { min: undefined, max: undefined }, cost: { min: undefined, max: undefined }, leverage: { min: undefined, max: undefined } },
    info,
  };
}

/**
 * The funding interval a perpetual's listing states (see perpMarketFor), in hours, or null when it
 * states none: Bybit's instruments-info gives minutes, Bitget's contracts listing hours.
 */
export function listedFundingIntervalHours(market: MarketInterface): number | null {
  const listing = (market.info ?? {}) as Record<string, unknown>;
  const minutes = finite(listing["fundingInterval"]); // Bybit's instruments-info, in minutes
  if (minutes !== null && minutes > 0) return minutes / 60;
  const hours = finite(listing["fundInterval"]); // Bitget's contracts listing, in hours
  if (hours !== null && hours > 0) return hours;
  return null;
}

/**
 * Bybit's /v5/market/tickers stamps only the envelope ({ retCode, result: { list }, time }), and
 * ccxt's bybit parseTicker reads `time` from the list item, where it never is: its ticker has no
 * timestamp. So the endpoint is called directly and the envelope's `time` kept beside ccxt's parse.
 * (exchange.last_json_response would also hold it, but concurrent calls share that field.)
 */
export async function bybitTicker(exchange: Exchange, market: MarketInterface): Promise<{ ticker: Ticker; envelopeTime: unknown }> {
  const raw = exchange as InstanceType<typeof bybit>;
  const response = await raw.publicGetV5MarketTickers({ category: "linear", symbol: market.id });
  const result = (response["result"] ?? {}) as { list?: unknown };
  const first: unknown = Array.isArray(result.list) ? result.list[0] : undefined;
  const item = first !== null && typeof first === "object" ? (first as Record<string, unknown>) : {};
  return { ticker: exchange.parseTicker(item, market), envelopeTime: response["time"] };
}

/**
 * Bitget's current-fund-rate item carries no time (and no prices); its envelope's requestTime is
 * the venue's own stamp, kept beside ccxt's parse as for Bybit's ticker.
 */
export async function bitgetFunding(exchange: Exchange, market: MarketInterface): Promise<{ rate: FundingRate; envelopeTime: unknown }> {
  const raw = exchange as InstanceType<typeof bitget>;
  const response = await raw.publicMixGetV2MixMarketCurrentFundRate({ symbol: market.id, productType: "USDT-FUTURES" });
  const first: unknown = Array.isArray(response["data"]) ? (response["data"] as unknown[])[0] : undefined;
  const item = first !== null && typeof first === "object" ? (first as Record<string, unknown>) : {};
  return { rate: raw.parseFundingRate(item, market), envelopeTime: response["requestTime"] };
}
