import type { SymbolState, VenueReply } from "./exchange-venue-formats";
import { answer, venueId } from "./exchange-venue-formats";
import type { PrivateContext } from "./private-wire";

/**
 * What every Bybit v5 private module shares: the reply envelope, the request's parameters (the
 * GET query or the POST JSON body, which Bybit treats alike), number rendering and the public
 * listing's trading rules, read from the public instruments-info answer itself so the private
 * side can never disagree with what ccxt loaded as the market's limits.
 */

export type Params = Readonly<Record<string, unknown>>;

export interface BybitCall {
  readonly params: Params;
  readonly context: PrivateContext;
}

export type BybitEndpoint = (call: BybitCall) => VenueReply;

/** Bybit answers business errors with HTTP 200 and a non-zero retCode, always in the same envelope. */
export function ok(now: number, result: unknown, retMsg = "OK"): VenueReply {
  return { status: 200, body: { retCode: 0, retMsg, result, retExtInfo: {}, time: now } };
}

export function fail(now: number, retCode: number, retMsg: string, result: unknown = {}): VenueReply {
  return { status: 200, body: { retCode, retMsg, result, retExtInfo: {}, time: now } };
}

/** A parameter as Bybit reads it: strings, numbers and booleans alike; "" counts as absent. */
export function text(params: Params, key: string): string | undefined {
  const value = params[key];
  if (typeof value === "string") return value === "" ? undefined : value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

export function integer(params: Params, key: string): number | undefined {
  const value = text(params, key);
  return value === undefined || !/^-?\d+$/.test(value) ? undefined : Number(value);
}

export function flag(params: Params, key: string): boolean {
  return text(params, key) === "true";
}

/** A plain decimal string (no exponent, no float noise, no trailing zeros), as Bybit prints numbers. */
export function decimal(n: number, places = 8): string {
  const fixed = n.toFixed(places);
  const trimmed = fixed.includes(".") ? fixed.replace(/0+$/, "").replace(/\.$/, "") : fixed;
  return trimmed === "-0" ? "0" : trimmed;
}

export function findSymbol(context: PrivateContext, id: string | undefined): SymbolState | undefined {
  return id === undefined ? undefined : context.symbols.find((s) => venueId("bybit", s) === id);
}

export function bybitId(context: PrivateContext, symbol: string): string {
  const s = context.symbols.find((x) => x.symbol === symbol);
  return s === undefined ? symbol.replace(/[/:].*$/, "") : venueId("bybit", s);
}

/** The last traded price, as the stand-in server quotes it (ticker, then funding mark, then book). */
export function lastPrice(s: SymbolState): number {
  return s.ticker?.last ?? s.current?.markPrice ?? s.book?.bids[0]?.[0] ?? 100;
}

export interface TradingRules {
  readonly minQty: number;
  readonly qtyStep: number;
  readonly maxMarketQty: number;
  readonly minNotional: number;
  readonly tickSize: number;
  readonly maxLeverage: number;
  /** Bybit prints prices inside some error texts as integers scaled by 10^priceScale. */
  readonly priceScale: number;
}

interface Instrument {
  readonly symbol: string;
  readonly priceScale: string;
  readonly leverageFilter: { readonly maxLeverage: string };
  readonly priceFilter: { readonly tickSize: string };
  readonly lotSizeFilter: { readonly minOrderQty: string; readonly qtyStep: string; readonly maxMktOrderQty: string; readonly minNotionalValue: string };
}

function isInstrument(x: unknown): x is Instrument {
  if (typeof x !== "object" || x === null) return false;
  const i = x as Partial<Record<keyof Instrument, unknown>>;
  return typeof i.symbol === "string" && typeof i.lotSizeFilter === "object" && typeof i.priceFilter === "object" && typeof i.leverageFilter === "object";
}

/** The symbol's lot, minimum, tick and leverage cap, from the stand-in's own public listing. */
export function tradingRules(context: PrivateContext, s: SymbolState): TradingRules {
  const reply = answer("bybit", "/v5/market/instruments-info", new URLSearchParams({ category: "linear" }), context.symbols, context.now);
  const body = reply?.body as { result?: { list?: unknown[] } } | undefined;
  const instrument = (body?.result?.list ?? []).filter(isInstrument).find((i) => i.symbol === venueId("bybit", s));
  if (instrument === undefined) throw new Error(`stand-in: ${s.symbol} is missing from the bybit listing`);
  return {
    minQty: Number(instrument.lotSizeFilter.minOrderQty), qtyStep: Number(instrument.lotSizeFilter.qtyStep),
    maxMarketQty: Number(instrument.lotSizeFilter.maxMktOrderQty), minNotional: Number(instrument.lotSizeFilter.minNotionalValue),
    tickSize: Number(instrument.priceFilter.tickSize), maxLeverage: Number(instrument.leverageFilter.maxLeverage), priceScale: Number(instrument.priceScale),
  };
}

/** True when `value` is a whole number of `step`s (within float noise). */
export function onStep(value: number, step: number): boolean {
  const steps = value / step;
  return Math.abs(steps - Math.round(steps)) < 1e-9;
}

const DAY = 86_400_000;

/**
 * Bybit's time window for history endpoints: 7 days back from now by default, 7 days forward from
 * a lone startTime, 7 days back from a lone endTime, and never more than 7 days between the two.
 */
export function historyWindow(params: Params, now: number): { readonly from: number; readonly to: number } | { readonly error: string } {
  const start = integer(params, "startTime");
  const end = integer(params, "endTime");
  if (start !== undefined && end !== undefined) {
    if (end < start) return { error: "params error: endTime must be greater than startTime" };
    if (end - start > 7 * DAY) return { error: "params error: The time range between startTime and endTime cannot exceed 7 days" };
    return { from: start, to: end };
  }
  if (start !== undefined) return { from: start, to: start + 7 * DAY };
  if (end !== undefined) return { from: end - 7 * DAY, to: end };
  return { from: now - 7 * DAY, to: now };
}

/** Bybit pages with an opaque cursor; the stand-in's is the offset of the next row. */
export function page<T>(rows: readonly T[], params: Params, limits: { readonly max: number; readonly fallback: number }): { readonly rows: T[]; readonly nextPageCursor: string } | { readonly error: string } {
  const limit = integer(params, "limit") ?? limits.fallback;
  if (limit < 1 || limit > limits.max) return { error: `params error: limit must be in [1, ${limits.max}]` };
  const cursor = text(params, "cursor");
  const offset = cursor === undefined ? 0 : Number(/^page_(\d+)$/.exec(cursor)?.[1] ?? Number.NaN);
  if (!Number.isInteger(offset)) return { error: "params error: cursor invalid" };
  const picked = rows.slice(offset, offset + limit);
  return { rows: picked, nextPageCursor: offset + limit < rows.length ? `page_${offset + limit}` : "" };
}
