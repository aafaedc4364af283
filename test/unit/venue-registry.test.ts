import ccxt from "ccxt";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { mapCcxtError } from "../../src/exchange/ccxt-errors";
import { loadExchangeClass } from "../../src/exchange/ccxt-loader";
import { RateLimitExceeded } from "../../src/exchange/ccxt-error-classes";
import { findVenue, perpMarketFor, spotSymbolOf, venueDescriptor, VENUE_IDS } from "../../src/exchange/venues/registry";

/**
 * The venue registry: what each descriptor states, that the rest reads it (config, the error
 * mapping), and that the lazily loaded ccxt pieces are ccxt's own (same classes as `import "ccxt"`).
 */

describe("the registry", () => {
  it("lists the four venues, and config's VENUES accepts exactly them and defaults to all four", () => {
    expect(VENUE_IDS).toEqual(["bybit", "binanceusdm", "okx", "bitget"]);
    expect(loadConfig({}).VENUES).toEqual([...VENUE_IDS]);
    expect(() => loadConfig({ VENUES: "bybit,kraken" })).toThrow(/VENUES/);
    expect(findVenue("kraken")).toBeUndefined();
  });

  it("every descriptor loads markets of linear swaps and spot only, and its live client swaps only", () => {
    for (const id of VENUE_IDS) {
      const d = venueDescriptor(id);
      const types = (d.marketDataOptions["fetchMarkets"] as { types: string[] }).types;
      expect(types).toContain("spot");
      expect(types.filter((t) => t !== "spot")).toEqual([id === "okx" || id === "bitget" ? "swap" : "linear"]);
      expect((d.liveOptions["fetchMarkets"] as { types: string[] }).types).not.toContain("spot");
    }
  });

  it("book depths: each venue's accepted gear for a wanted depth", () => {
    const asked = (id: (typeof VENUE_IDS)[number], depth: number) => venueDescriptor(id).bookRequest(depth);
    expect(asked("binanceusdm", 7).limit).toBe(10);
    expect(asked("binanceusdm", 2_000).limit).toBe(1_000);
    expect(asked("bitget", 7).limit).toBe(15);
    expect(asked("bitget", 60)).toEqual({ limit: undefined, params: { limit: "max" } });
    expect(asked("bybit", 900).limit).toBe(500);
    expect(asked("okx", 900).limit).toBe(400);
  });

  it("perp listings in each venue's shape; OKX insists on its contract size", () => {
    expect(perpMarketFor("okx", "BTC/USDT:USDT", { contractSize: 0.01 })).toMatchObject({ id: "BTC-USDT-SWAP", contractSize: 0.01, info: { ctVal: "0.01" } });
    expect(() => perpMarketFor("okx", "BTC/USDT:USDT")).toThrow(/contractSize/);
    expect(perpMarketFor("bybit", "MNT/USDT:USDT", { fundingIntervalHours: 4 }).info).toMatchObject({ symbol: "MNTUSDT", fundingInterval: 240 });
    expect(perpMarketFor("bitget", "MNT/USDT:USDT", { fundingIntervalHours: 4 }).info).toMatchObject({ symbol: "MNTUSDT", fundInterval: "4" });
    expect(() => perpMarketFor("bybit", "MNT/USDT")).toThrow(/linear perpetual/);
    expect(spotSymbolOf("MNT/USDT:USDT")).toBe("MNT/USDT");
  });

  it("funding intervals read from the listing where the venue states them there", () => {
    expect(venueDescriptor("bybit").listedIntervalHours?.({ fundingInterval: 240 })).toBe(4);
    expect(venueDescriptor("bitget").listedIntervalHours?.({ fundInterval: "1" })).toBe(1);
    expect(venueDescriptor("binanceusdm").fundingIntervalSource).toBe("funding-info");
  });
});

describe("bans come from the descriptors", () => {
  const forbidden = (venue: string) => mapCcxtError(new ccxt.RateLimitExceeded(`${venue} GET https://api.example.com/x 403 Forbidden `), venue, { now: 1_000_000 });

  it("a 403 is a ban on Bybit (its descriptor's default cool-down), not on OKX", () => {
    const bybit = forbidden("bybit");
    expect(bybit.kind).toBe("banned");
    expect(bybit.retryAfterMs).toBe(venueDescriptor("bybit").bans.defaultMs);
    expect(venueDescriptor("bybit").bans.defaultMs).toBe(30 * 60_000);
    expect(forbidden("okx").kind).toBe("rate-limited");
  });

  it("a 418 is a ban on Binance only", () => {
    const teapot = (venue: string) => mapCcxtError(new ccxt.DDoSProtection(`${venue} GET https://fapi.binance.com/fapi/v1/depth 418 I'm a teapot `), venue, { now: 1_000_000 });
    expect(teapot("binanceusdm").kind).toBe("banned");
    expect(teapot("bitget").kind).toBe("rate-limited");
  });
});

describe("lazy ccxt pieces are ccxt's own", () => {
  it("the error classes are the very classes `import \"ccxt\"` exports, both ways", () => {
    expect(RateLimitExceeded).toBe(ccxt.RateLimitExceeded);
    expect(new ccxt.RateLimitExceeded("x")).toBeInstanceOf(RateLimitExceeded);
  });

  it("a venue class loaded by file URL is ccxt's class; an unknown id is refused", async () => {
    expect(await loadExchangeClass("okx")).toBe(ccxt.okx);
    await expect(loadExchangeClass("../base/Exchange")).rejects.toThrow(/not a ccxt exchange id/);
    await expect(loadExchangeClass("nosuchvenue")).rejects.toThrow();
  });
});
