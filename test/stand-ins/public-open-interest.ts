import type { OpenInterestPoint, SymbolState, Venue, VenueReply } from "./exchange-venue-formats";

/**
 * Open interest of the linear perps in each venue's public format, from the stand-in's state (in
 * base units and USDT): Bybit /v5/market/open-interest (current = the newest bucket; history by
 * intervalTime, newest first, at most 200), Binance /fapi/v1/openInterest and
 * /futures/data/openInterestHist (oldest first, at most 500, the latest 30 days only), OKX
 * /api/v5/public/open-interest (oi in contracts, oiCcy in base, oiUsd) and
 * /api/v5/rubik/stat/contracts/open-interest-history (rows [ts, oi, oiCcy, oiUsd], newest first,
 * at most 100), Bitget /api/v2/mix/market/open-interest (size in base; no history). Null for other paths.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const str = (n: number): string => String(n);
const int = (q: URLSearchParams, key: string): number | undefined => {
  const v = q.get(key);
  return v === null || v === "" ? undefined : Number(v);
};

/** The current open interest: the set figure, else the newest history point, stamped at the start of this hour. */
function current(s: SymbolState, now: number): OpenInterestPoint {
  const last = s.openInterestHistory.at(-1);
  const hour = Math.floor(now / HOUR) * HOUR;
  if (s.openInterest !== undefined) return { ts: hour, ...s.openInterest };
  return last ?? { ts: hour, amount: 0, value: 0 };
}

function bybit(path: string, q: URLSearchParams, find: (id: string) => SymbolState | undefined, now: number): VenueReply | null {
  if (path !== "/v5/market/open-interest") return null;
  const ok = (result: unknown): VenueReply => ({ status: 200, body: { retCode: 0, retMsg: "OK", result, retExtInfo: {}, time: now } });
  const fail = (retCode: number, retMsg: string): VenueReply => ({ status: 200, body: { retCode, retMsg, result: {}, retExtInfo: {}, time: now } });
  if (q.get("category") !== "linear") return fail(10001, "params error: category only support linear,inverse");
  const interval = q.get("intervalTime");
  if (interval !== "1h") return fail(10001, interval === null ? "params error: intervalTime is required" : "params error: intervalTime invalid in this stand-in (1h only)");
  const limit = int(q, "limit") ?? 50;
  if (limit < 1 || limit > 200) return fail(10001, "params error: limit must be in [1, 200]");
  const s = find(q.get("symbol") ?? "");
  if (s === undefined) return fail(10001, "params error: symbol invalid");
  const start = int(q, "startTime");
  const end = int(q, "endTime");
  const points = start === undefined && end === undefined ? [current(s, now)] : s.openInterestHistory.filter((p) => p.ts >= (start ?? 0) && p.ts <= (end ?? now));
  const list = points.slice(-limit).reverse().map((p) => ({ openInterest: p.amount.toFixed(8), timestamp: str(p.ts) }));
  return ok({ symbol: q.get("symbol"), category: "linear", list, nextPageCursor: "" });
}

function binance(path: string, q: URLSearchParams, find: (id: string) => SymbolState | undefined, now: number): VenueReply | null {
  if (path !== "/fapi/v1/openInterest" && path !== "/futures/data/openInterestHist") return null;
  const fail = (code: number, msg: string): VenueReply => ({ status: 400, body: { code, msg } });
  const s = find(q.get("symbol") ?? "");
  if (s === undefined) return fail(-1121, "Invalid symbol.");
  if (path === "/fapi/v1/openInterest") {
    const p = current(s, now);
    return { status: 200, body: { openInterest: p.amount.toFixed(3), symbol: q.get("symbol"), time: now } };
  }
  if (q.get("period") !== "1h") return fail(-1130, "Data sent for parameter 'period' is not valid.");
  const limit = int(q, "limit") ?? 30;
  if (limit < 1 || limit > 500) return fail(-1130, "Data sent for parameter 'limit' is not valid.");
  const start = int(q, "startTime");
  // "Only the data of the latest 1 month is available."
  if (start !== undefined && start < now - 30 * DAY) return fail(-1130, "parameter 'startTime' is invalid.");
  const rows = s.openInterestHistory.filter((p) => p.ts >= (start ?? 0) && p.ts <= (int(q, "endTime") ?? now));
  const picked = start !== undefined ? rows.slice(0, limit) : rows.slice(-limit);
  return { status: 200, body: picked.map((p) => ({ symbol: q.get("symbol"), sumOpenInterest: p.amount.toFixed(8), sumOpenInterestValue: p.value.toFixed(8), CMCCirculatingSupply: "19800000", timestamp: p.ts })) };
}

function okx(path: string, q: URLSearchParams, find: (id: string) => SymbolState | undefined, now: number): VenueReply | null {
  if (path !== "/api/v5/public/open-interest" && path !== "/api/v5/rubik/stat/contracts/open-interest-history") return null;
  const ok = (data: unknown[]): VenueReply => ({ status: 200, body: { code: "0", msg: "", data } });
  const instId = q.get("instId") ?? "";
  const s = find(instId);
  if (s === undefined) return { status: 200, body: { code: "51001", msg: "Instrument ID or Spread ID doesn't exist.", data: [] } };
  const contracts = (p: OpenInterestPoint): string => str(p.amount / s.contractSize);
  if (path === "/api/v5/public/open-interest") {
    if (q.get("instType") !== "SWAP") return { status: 200, body: { code: "51000", msg: "Parameter instType error", data: [] } };
    const p = current(s, now);
    return ok([{ instType: "SWAP", instId, oi: contracts(p), oiCcy: str(p.amount), oiUsd: str(p.value), ts: str(now) }]);
  }
  if (q.get("period") !== "1H") return { status: 200, body: { code: "51000", msg: "Parameter period error", data: [] } };
  const limit = int(q, "limit") ?? 100;
  if (limit < 1 || limit > 100) return { status: 200, body: { code: "51000", msg: "Parameter limit error", data: [] } };
  const rows = s.openInterestHistory.filter((p) => p.ts >= (int(q, "begin") ?? 0) && p.ts <= (int(q, "end") ?? now)).reverse().slice(0, limit);
  return ok(rows.map((p) => [str(p.ts), contracts(p), str(p.amount), str(p.value)]));
}

function bitget(path: string, q: URLSearchParams, find: (id: string) => SymbolState | undefined, now: number): VenueReply | null {
  if (path !== "/api/v2/mix/market/open-interest") return null;
  const fail = (code: string, msg: string): VenueReply => ({ status: 400, body: { code, msg, requestTime: now, data: null } });
  if ((q.get("productType") ?? "").toUpperCase() !== "USDT-FUTURES") return fail("40020", "Parameter productType error");
  const id = (q.get("symbol") ?? "").toUpperCase();
  const s = find(id);
  if (s === undefined) return fail("40034", `Parameter ${id} does not exist`);
  const p = current(s, now);
  return { status: 200, body: { code: "00000", msg: "success", requestTime: now, data: { openInterestList: [{ symbol: id, size: str(p.amount) }], ts: str(now) } } };
}

const ROUTERS = { bybit, binanceusdm: binance, okx, bitget } as const;

/** The venue's open-interest answer, or null when `path` is not an open-interest endpoint. `find`: listed perps by venue id. */
export function openInterestAnswer(venue: Venue, path: string, q: URLSearchParams, find: (id: string) => SymbolState | undefined, now: number): VenueReply | null {
  return ROUTERS[venue](path, q, find, now);
}
