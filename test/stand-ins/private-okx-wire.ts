import type { IncomingHttpHeaders } from "node:http";
import type { StandInAccount, StandInOrder } from "./exchange-account";
import { venueId, type SymbolState, type VenueReply } from "./exchange-venue-formats";
import type { PrivateContext } from "./private-wire";

/**
 * What every OKX v5 private module shares: the envelopes ({code, msg, data}, codes as strings),
 * number formatting (decimal strings, "" for nothing), contracts ⇄ base units (sizes on the wire
 * are contracts of ctVal base units each; the account keeps base units), the listing's lot rules,
 * and the little state OKX has beyond the venue-neutral account (position mode, each order's tdMode).
 */

export type MarginMode = "cross" | "isolated";
export type PositionMode = "net_mode" | "long_short_mode";

/** The public listing (exchange-venue-formats.ts) prints every SWAP with these; orders must follow them. */
export const LOT_SIZE = 0.01;
export const MIN_SIZE = 0.01;
export const MAX_MARKET_SIZE = 1000;
export const MAX_LEVERAGE = 50;

/** OKX refuses a request whose OK-ACCESS-TIMESTAMP is more than 30 seconds from its clock. */
export const TIMESTAMP_WINDOW_MS = 30_000;

export interface OkxRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  /** The JSON body: an object, an array (batch endpoints) or undefined for GET. */
  readonly body: unknown;
  readonly headers: IncomingHttpHeaders;
}

export type OkxRoute = (request: OkxRequest, context: PrivateContext) => VenueReply;

interface OkxExtras {
  posMode: PositionMode;
  /** The trade mode each order was placed with: a position belongs to one margin mode. */
  readonly tdMode: Map<string, MarginMode>;
}

const extras = new WeakMap<StandInAccount, OkxExtras>();

/** OKX-only state of an account (created on first use: net mode, as the account under test is). */
export function okxState(account: StandInAccount): OkxExtras {
  let state = extras.get(account);
  if (state === undefined) {
    state = { posMode: "net_mode", tdMode: new Map() };
    extras.set(account, state);
  }
  return state;
}

export const tdModeOf = (account: StandInAccount, order: StandInOrder): MarginMode =>
  okxState(account).tdMode.get(order.id) ?? account.marginMode.get(order.symbol) ?? "cross";

export const marginModeOf = (account: StandInAccount, symbol: string): MarginMode => account.marginMode.get(symbol) ?? "cross";

// ------------------------------------------------------------------ envelopes

export const ok = (data: unknown[]): VenueReply => ({ status: 200, body: { code: "0", msg: "", data } });

/** A request-level error: HTTP 200 (400 for malformed requests), the code in the envelope, no data. */
export const fail = (code: string, msg: string, status = 200): VenueReply => ({ status, body: { code, msg, data: [] } });

/** Authentication errors come back as HTTP 401 with only code and msg. */
export const unauthorized = (code: string, msg: string): VenueReply => ({ status: 401, body: { msg, code } });

/** "Parameter X error" (51000) and "Parameter X can not be empty" (50014), as OKX words them. */
export const badParam = (name: string): VenueReply => fail("51000", `Parameter ${name} error`);
export const missingParam = (name: string): VenueReply => fail("50014", `Parameter ${name} can not be empty.`);

/** One item of a batch answer: sCode "0" is success; anything else is that item's refusal. */
export interface ItemResult { readonly item: Record<string, string>; readonly ok: boolean }

/**
 * The answer of the order endpoints: code "0" when every item succeeded, "1" when all failed,
 * "2" when some did, each item with its own sCode/sMsg.
 */
export function itemsReply(results: readonly ItemResult[], now: number): VenueReply {
  const succeeded = results.filter((r) => r.ok).length;
  const code = succeeded === results.length ? "0" : succeeded === 0 ? "1" : "2";
  const msg = code === "0" ? "" : code === "1" ? "All operations failed" : "Bulk operation partially succeeded";
  const micros = `${now}000`;
  return { status: 200, body: { code, msg, data: results.map((r) => r.item), inTime: micros, outTime: micros } };
}

// ------------------------------------------------------------------ numbers and ids

/** A decimal string without binary noise (0.1 + 0.2 prints as 0.3). */
export function num(n: number): string {
  return String(Number(n.toPrecision(12)));
}

/** Base units → contracts of `ctVal`. */
export const toContracts = (qty: number, s: SymbolState): number => Number((qty / s.contractSize).toPrecision(12));
export const contracts = (qty: number, s: SymbolState): string => num(toContracts(qty, s));
export const toBase = (sz: number, s: SymbolState): number => Number((sz * s.contractSize).toPrecision(12));

/** True when `sz` is a whole number of lots (within float noise). */
export function isWholeLots(sz: number): boolean {
  const lots = sz / LOT_SIZE;
  return Math.abs(lots - Math.round(lots)) < 1e-9;
}

/** OKX client ids (clOrdId, algoClOrdId): 1–32 letters and digits, case-sensitive. */
export const LEGAL_CLIENT_ID = /^[A-Za-z0-9]{1,32}$/;

/** An order's client id as OKX would show it: orders made outside the API (UI, liquidation) carry none. */
export const wireClientId = (clientOrderId: string): string => (LEGAL_CLIENT_ID.test(clientOrderId) ? clientOrderId : "");

export function findInstrument(context: PrivateContext, instId: string | undefined): SymbolState | undefined {
  return instId === undefined ? undefined : context.symbols.find((s) => venueId("okx", s) === instId);
}

export const instIdOf = (s: SymbolState): string => venueId("okx", s);

/** A string field of a JSON object (OKX accepts numbers where it documents strings; ccxt sends some). */
export function field(body: unknown, name: string): string | undefined {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return undefined;
  const value = (body as Record<string, unknown>)[name];
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

/** A query parameter, with "" read as absent (as OKX does). */
export function param(query: URLSearchParams, name: string): string | undefined {
  const value = query.get(name);
  return value === null || value === "" ? undefined : value;
}

/** OKX's `limit`: 1–100, default 100. */
export function pageLimit(query: URLSearchParams): number | null {
  const raw = param(query, "limit");
  if (raw === undefined) return 100;
  const limit = Number(raw);
  return Number.isInteger(limit) && limit >= 1 && limit <= 100 ? limit : null;
}
