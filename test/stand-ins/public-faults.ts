import type { Venue, VenueReply } from "./exchange-venue-formats";

/**
 * Each venue's real "slow down" and "banned" answers, for the stand-in's failNext: the status,
 * body and headers ccxt classifies (RateLimitExceeded, DDoSProtection) and perpbot reads
 * (Retry-After, Bybit's reset header, Binance's "banned until").
 */

/** The venue's real "too many requests" answer, for failNext. */
export function rateLimitReply(venue: Venue, retryAfterSeconds: number, now: number = Date.now()): VenueReply {
  switch (venue) {
    case "bybit": // per-UID limit: HTTP 200 with retCode 10006 and the reset time in a header
      return { status: 200, body: { retCode: 10006, retMsg: "Too many visits!", result: {}, retExtInfo: {}, time: now }, headers: { "X-Bapi-Limit": "10", "X-Bapi-Limit-Status": "0", "X-Bapi-Limit-Reset-Timestamp": String(now + retryAfterSeconds * 1000) } };
    case "binanceusdm":
      return { status: 429, body: { code: -1003, msg: "Too many requests; current limit of IP(127.0.0.1) is 2400 requests per minute. Please use WebSocket Streams for live updates to avoid bans." }, headers: { "Retry-After": String(retryAfterSeconds) } };
    case "okx":
      return { status: 429, body: { msg: "Too Many Requests", code: "50011" }, headers: { "Retry-After": String(retryAfterSeconds) } };
    case "bitget":
      return { status: 429, body: { code: "429", msg: "Too Many Requests", requestTime: now, data: null }, headers: { "Retry-After": String(retryAfterSeconds) } };
  }
}

/**
 * The venue's IP-ban answer, for failNext. Binance: HTTP 418 with -1003 "IP banned until <epoch ms>"
 * (and a Retry-After until the ban is over, when `retryAfterSeconds` is given). Bybit: HTTP 403
 * "access too frequent" with no Retry-After (its docs: wait at least 10 minutes). OKX documents no
 * IP ban answer; it gets its 429.
 */
export function banReply(venue: Venue, options: { bannedUntil?: number; retryAfterSeconds?: number } = {}, now: number = Date.now()): VenueReply {
  const headers = options.retryAfterSeconds === undefined ? {} : { "Retry-After": String(options.retryAfterSeconds) };
  switch (venue) {
    case "binanceusdm": {
      const until = options.bannedUntil ?? now + 10 * 60_000;
      return { status: 418, body: { code: -1003, msg: `Way too much request weight used; IP banned until ${until}. Please use WebSocket Streams for live updates to avoid bans.` }, headers };
    }
    case "bybit":
      return { status: 403, body: "access too frequent", headers };
    case "okx":
      return { status: 429, body: { msg: "Too Many Requests", code: "50011" }, headers };
    case "bitget":
      return { status: 429, body: { code: "429", msg: "Too Many Requests", requestTime: now, data: null }, headers };
  }
}
