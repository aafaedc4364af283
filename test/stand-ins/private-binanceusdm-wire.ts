import type { StandInAccount, StandInOrder } from "./exchange-account";
import { answer, venueId, type SymbolState, type VenueReply } from "./exchange-venue-formats";

/**
 * What every Binance USD-M private module shares: the parsed call, Binance's error envelope, the
 * public listing's lot rules, number formats and the client-order-id rules.
 */

/** One authenticated call: query and form body merged (Binance reads both as one parameter set). */
export interface BinanceCall {
  readonly method: string;
  readonly path: string;
  readonly params: URLSearchParams;
  readonly account: StandInAccount;
  readonly symbols: readonly SymbolState[];
  readonly now: number;
}

export const ok = (body: unknown): VenueReply => ({ status: 200, body });
/** Binance's error body; business errors are HTTP 400, key errors 401 (as fapi answers them). */
export const fail = (code: number, msg: string, status = 400): VenueReply => ({ status, body: { code, msg } });

export const missing = (name: string): VenueReply => fail(-1102, `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`);
export const invalidSymbol = (): VenueReply => fail(-1121, "Invalid symbol.");
export const orderDoesNotExist = (): VenueReply => fail(-2013, "Order does not exist.");
export const unknownOrderSent = (): VenueReply => fail(-2011, "Unknown order sent.");

/** The symbol named by `symbol`, or a reply saying why not. */
export function symbolParam(call: BinanceCall, required: boolean): SymbolState | VenueReply | null {
  const id = call.params.get("symbol");
  if (id === null || id === "") return required ? missing("symbol") : null;
  return call.symbols.find((s) => venueId("binanceusdm", s) === id) ?? invalidSymbol();
}

export const isReply = (value: unknown): value is VenueReply =>
  typeof value === "object" && value !== null && "status" in value && typeof value.status === "number";

export const idOf = (s: Pick<SymbolState, "base" | "quote">): string => venueId("binanceusdm", s);
export const symbolIdOf = (call: BinanceCall, ccxtSymbol: string): string => {
  const s = call.symbols.find((x) => x.symbol === ccxtSymbol);
  return s === undefined ? ccxtSymbol.replace(/\/|:.*$/g, "") : idOf(s);
};

/** The last traded price the account itself uses (ticker, else mark, else best bid), as ExchangeServer.quote does. */
export function lastPrice(s: SymbolState): number {
  return s.ticker?.last ?? s.current?.markPrice ?? s.book?.bids[0]?.[0] ?? 100;
}

export interface LotRules {
  readonly stepSize: number;
  readonly minQty: number;
  readonly marketMaxQty: number;
  readonly minNotional: number;
  readonly quantityPrecision: number;
  readonly pricePrecision: number;
}

const record = (v: unknown): Record<string, unknown> => (typeof v === "object" && v !== null ? (v as Record<string, unknown>) : {});
const num = (v: unknown): number => (typeof v === "string" || typeof v === "number" ? Number(v) : Number.NaN);

/**
 * The symbol's filters as the public exchangeInfo lists them, read from that very answer so the
 * private side can never disagree with the listing ccxt loaded its precision from.
 */
export function lotRules(call: BinanceCall, s: SymbolState): LotRules {
  const info = answer("binanceusdm", "/fapi/v1/exchangeInfo", new URLSearchParams(), call.symbols, call.now);
  const listed = (Array.isArray(record(info?.body)["symbols"]) ? (record(info?.body)["symbols"] as unknown[]) : []).map(record).find((x) => x["symbol"] === idOf(s));
  if (listed === undefined) throw new Error(`stand-in: ${idOf(s)} is not in exchangeInfo`);
  const filters = (Array.isArray(listed["filters"]) ? (listed["filters"] as unknown[]) : []).map(record);
  const filter = (type: string): Record<string, unknown> => filters.find((f) => f["filterType"] === type) ?? {};
  return {
    stepSize: num(filter("LOT_SIZE")["stepSize"]), minQty: num(filter("LOT_SIZE")["minQty"]),
    marketMaxQty: num(filter("MARKET_LOT_SIZE")["maxQty"]), minNotional: num(filter("MIN_NOTIONAL")["notional"]),
    quantityPrecision: num(listed["quantityPrecision"]), pricePrecision: num(listed["pricePrecision"]),
  };
}

/** Decimal places written in a decimal string ("0.010" → 3). */
export const decimalsOf = (text: string): number => (text.includes(".") ? text.split(".")[1]?.replace(/0+$/, "").length ?? 0 : 0);

// Binance writes every amount as a string: quantities at the symbol's precision, money with 8 decimals.
export const qty = (n: number, precision = 3): string => n.toFixed(precision);
export const money = (n: number): string => n.toFixed(8);
export const price = (n: number | null): string => (n === null ? "0" : String(Number(n.toFixed(8))));
export const avg = (n: number | null): string => (n === null ? "0.00000" : n.toFixed(5));

/** Binance's rule for newClientOrderId and clientAlgoId. */
export const CLIENT_ID_RULE = /^[.A-Z:/a-z0-9_-]{1,36}$/;

/**
 * Binance keeps a client order id unique only among OPEN orders: once an order is filled or gone,
 * its id may be sent again and a new order is booked under it. The venue-neutral account refuses
 * any id it has seen, so a reused id is booked here under "<id>#<n>" ("#" is outside Binance's
 * alphabet, so it can never clash with a real id) and shown on the wire without the suffix.
 */
export const wireClientId = (order: Pick<StandInOrder, "clientOrderId">): string => order.clientOrderId.replace(/#\d+$/, "");

/** Regular orders and algo (conditional) orders are separate services with separate id spaces. */
export const isAlgo = (order: StandInOrder): boolean => order.type !== "market";
/**
 * Close-All stops (closePosition=true) carry no quantity: the account books them for the whole lot
 * limit and fills what the position holds, so what fired is all there was to fill.
 */
export const closeAll = new WeakSet<StandInOrder>();

/** An algo order that fired became a regular market order in the matching engine. */
export const wasTriggered = (order: StandInOrder): boolean => isAlgo(order) && order.filled > 0;

/** The id to book a new order under, or null when an open order of the same service holds it (-4116). */
export function bookingId(account: StandInAccount, clientId: string, algo: boolean): string | null {
  // Every order counts here, visible or not yet: the venue's dedupe sees what lookups do not.
  const same = account.orders.filter((o) => wireClientId(o) === clientId);
  if (same.some((o) => o.status === "open" && isAlgo(o) === algo)) return null;
  return same.length === 0 ? clientId : `${clientId}#${same.length + 1}`;
}

/** The newest visible order of a service carrying this client id (a reused id names the latest). */
export function findByWireId(account: StandInAccount, clientId: string, view: "regular" | "algo"): StandInOrder | undefined {
  return account.visibleOrders().filter((o) => wireClientId(o) === clientId && inView(o, view)).at(-1);
}

export function inView(order: StandInOrder, view: "regular" | "algo"): boolean {
  return view === "algo" ? isAlgo(order) : !isAlgo(order) || wasTriggered(order);
}

/** Binance's time filter: startTime/endTime inclusive; neither sent → the last 7 days. */
export function inWindow(call: BinanceCall, ts: number): boolean {
  const start = call.params.get("startTime");
  const end = call.params.get("endTime");
  const from = start === null ? (end === null ? call.now - 7 * 24 * 3_600_000 : 0) : Number(start);
  return ts >= from && ts <= (end === null ? Number.MAX_SAFE_INTEGER : Number(end));
}

/** `limit` with the endpoint's default and maximum, or a -1130 reply. */
export function limitParam(call: BinanceCall, fallback: number, max: number): number | VenueReply {
  const raw = call.params.get("limit");
  if (raw === null) return fallback;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 1 && n <= max ? n : fail(-1130, "Data sent for parameter 'limit' is not valid.");
}
