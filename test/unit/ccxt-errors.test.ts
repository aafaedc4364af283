import ccxt from "ccxt";
import { describe, expect, it } from "vitest";
import { DEFAULT_BAN_MS, MAX_PAUSE_MS, bannedUntilFromText, mapCcxtError } from "../../src/exchange/ccxt-errors";

/**
 * Bans and pauses, from the errors ccxt 4.5.84 actually throws (texts in its own format:
 * "<id> <status> <reason> <body>" from binance.js handleErrors, "<id> <METHOD> <url> <status>
 * <reason> <body>" from Exchange.handleHttpStatusCode).
 */

const NOW = 1_699_999_400_000;
const MIN = 60_000;
const BINANCE_418 = 'binanceusdm 418 I\'m a teapot {"code":-1003,"msg":"Way too much request weight used; IP banned until 1700000000000. Please use WebSocket Streams for live updates to avoid bans."}';
const BYBIT_403 = "bybit GET https://api.bybit.com/v5/market/tickers?category=linear&symbol=BTCUSDT 403 Forbidden access too frequent";

describe("bans", () => {
  it("ccxt 4.5.84: RateLimitExceeded is no longer a DDoSProtection, so both are tested", () => {
    expect(new ccxt.RateLimitExceeded("x")).not.toBeInstanceOf(ccxt.DDoSProtection);
  });

  it("Binance 418 (ccxt DDoSProtection) with 'IP banned until <ms>' is a ban until that time", () => {
    const e = mapCcxtError(new ccxt.DDoSProtection(BINANCE_418), "binanceusdm", { now: NOW });
    expect(e).toMatchObject({ kind: "banned", bannedUntil: 1_700_000_000_000, retryAfterMs: 10 * MIN, retryable: false });
    expect(e.message).toMatch(/^Binance USD-M has banned this IP for too many requests \(HTTP 418, code -1003\): .*; not calling it for 10 min, until 2023-11-14 22:13 UTC\.$/);
  });

  it("the same text on a 429 (ccxt DDoSProtection too) is a ban as well; the longer of Retry-After and the stated time wins", () => {
    const text = BINANCE_418.replace("418 I'm a teapot", "429 Too Many Requests");
    expect(mapCcxtError(new ccxt.DDoSProtection(text), "binanceusdm", { now: NOW })).toMatchObject({ kind: "banned", bannedUntil: 1_700_000_000_000 });
    const longer = mapCcxtError(new ccxt.DDoSProtection(BINANCE_418), "binanceusdm", { now: NOW, responseHeaders: { "Retry-After": "3600" } });
    expect(longer).toMatchObject({ bannedUntil: NOW + 60 * MIN, retryAfterMs: 60 * MIN });
  });

  it("a 418 saying nothing of its length gets the default; a past 'until' (clock skew) still a minute", () => {
    expect(mapCcxtError(new ccxt.DDoSProtection("binanceusdm 418 I'm a teapot "), "binanceusdm", { now: NOW })).toMatchObject({ kind: "banned", retryAfterMs: DEFAULT_BAN_MS });
    expect(mapCcxtError(new ccxt.DDoSProtection(BINANCE_418), "binanceusdm", { now: 1_700_000_000_000 + 5_000 })).toMatchObject({ retryAfterMs: MIN });
  });

  it("Bybit 403 (ccxt RateLimitExceeded) without Retry-After is a 30-minute ban; its per-UID reset header does not shorten it", () => {
    const e = mapCcxtError(new ccxt.RateLimitExceeded(BYBIT_403), "bybit", { now: NOW, responseHeaders: { "X-Bapi-Limit-Reset-Timestamp": String(NOW + 1_000) } });
    expect(e).toMatchObject({ kind: "banned", retryAfterMs: 30 * MIN, bannedUntil: NOW + 30 * MIN });
    expect(e.message).not.toMatch(/https?:|category=/);
  });

  it("a 403 elsewhere is not a ban (Binance's WAF, OKX: ccxt ExchangeNotAvailable)", () => {
    expect(mapCcxtError(new ccxt.ExchangeNotAvailable("okx GET https://www.okx.com/api/v5/market/ticker 403 Forbidden "), "okx", { now: NOW }).kind).toBe("unavailable");
  });

  it("parses 'banned until' in ms or seconds", () => {
    expect(bannedUntilFromText("IP banned until 1700000000000.")).toBe(1_700_000_000_000);
    expect(bannedUntilFromText("IP banned until 1700000000.")).toBe(1_700_000_000_000);
    expect(bannedUntilFromText("Too many requests")).toBeNull();
  });
});

describe("pauses the venue asks for", () => {
  it("are kept in full (Retry-After: 7200 is two hours, not 5 minutes)", () => {
    const e = mapCcxtError(new ccxt.DDoSProtection('binanceusdm 429 Too Many Requests {"code":-1003,"msg":"Too many requests."}'), "binanceusdm", { now: NOW, responseHeaders: { "retry-after": "7200" } });
    expect(e).toMatchObject({ kind: "rate-limited", retryAfterMs: 7_200_000, bannedUntil: null });
    expect(e.message).toMatch(/retry in 2 h\.$/);
  });

  it("only an absurd one is capped, at Binance's longest documented ban (3 days)", () => {
    const e = mapCcxtError(new ccxt.RateLimitExceeded("okx 429"), "okx", { now: NOW, responseHeaders: { "Retry-After": String(30 * 86_400) } });
    expect(e.retryAfterMs).toBe(MAX_PAUSE_MS);
    expect(MAX_PAUSE_MS).toBe(3 * 86_400_000);
  });
});
