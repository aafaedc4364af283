import { describe, expect, it } from "vitest";
import { statusCommand } from "../../commands/status";
import { recordMarket } from "../../src/app/record-market";
import { ExchangeError } from "../../src/exchange/errors";
import type { MarketDataSource } from "../../src/exchange/market-data";
import { MarketSimulator } from "../../src/sim/market-simulator";
import { useRecordingApps } from "../support/test-env";

/** /status says per venue which streams came in the latest poll and how old, and names what is missing. */
const MNT = "MNT/USDT:USDT";
const NOW = Date.UTC(2026, 0, 5, 6, 10, 0);
const MIN = 60_000;
const VENUES = ["bybit", "okx", "binanceusdm", "bitget"];
const OPERATOR = { platform: "console", userId: "op", displayName: "operator" } as const;
const newApp = useRecordingApps();

describe("/status market data", () => {
  it("shows each venue's streams with their age, what is missing and why, cool-downs, and the cross-venue line", async () => {
    const env = await newApp({ now: NOW, settings: { venues: VENUES, symbols: [MNT] } });
    const sim = new MarketSimulator({
      seed: 2, start: NOW, startPrice: 0.6, episodeStartHours: 100, episodeHours: 10, venues: VENUES,
      listings: { okx: { spot: false, openInterest: false } },
    });
    const [bybit, okx, binance, bitget] = VENUES.map((v) => sim.source(v, env.app.clock)) as [MarketDataSource, MarketDataSource, MarketDataSource, MarketDataSource];
    const spotDown: MarketDataSource = Object.assign(Object.create(binance) as MarketDataSource, {
      fetchSpotTicker: () => Promise.reject(new ExchangeError("timeout", "binanceusdm", "Binance USD-M did not answer in time")),
    });
    const banned: MarketDataSource = Object.assign(Object.create(bitget) as MarketDataSource, {
      fetchFunding: () => Promise.reject(new ExchangeError("banned", "bitget", "Bitget banned this IP", { retryAfterMs: 60 * MIN })),
    });
    await recordMarket(env.app, [bybit, okx, spotDown, banned]);
    env.setNow(NOW + 3 * MIN);

    const text = (await statusCommand.run(env.app, [], OPERATOR)).text;
    const lines = text.split("\n");
    const line = (prefix: string): string => lines.find((l) => l.startsWith(prefix)) ?? "";
    expect(text).toContain("data older than 30 min is not used");
    expect(line("  bybit,")).toBe(
      "  bybit, polled 3 min ago: funding ✓ 3 min, book ✓ 3 min, perp volume ✓ 3 min, perp candles ✓ 13 min, spot volume ✓ 3 min, spot candles ✓ 13 min, open interest ✓ 3 min",
    );
    expect(line("  okx,")).toContain("spot volume ✗, spot candles ✗, open interest ✗");
    expect(lines[lines.indexOf(line("  okx,")) + 1]).toBe(
      `    missing: spot volume for ${MNT} (no spot pair listed); spot candles for ${MNT} (no spot pair listed); open interest for ${MNT} (not offered)`,
    );
    expect(line("  binanceusdm,")).toContain("spot volume ✗, spot candles ✓ 13 min, open interest ✓");
    expect(lines[lines.indexOf(line("  binanceusdm,")) + 1]).toBe(`    missing: spot volume for ${MNT} (Binance USD-M did not answer in time)`);
    expect(line("  bitget,")).toMatch(/^ {2}bitget, polled 3 min ago — banned, not polled until 07:10 UTC: funding ✗/);
    expect(lines[lines.indexOf(line("  bitget,")) + 1]).toBe(`    missing: everything for ${MNT} (Bitget banned this IP)`);
    // Cross-venue: three fresh venues' funding on an 8 h footing, the widest pair, perp/spot volume where there is spot.
    expect(text).toMatch(new RegExp(`  ${MNT.replace(/[/]/g, "\\/")}: funding\\/8h bybit [\\d.]+%, okx [\\d.]+%, binanceusdm [\\d.]+%; volume-weighted [\\d.]+% \\([\\d.]+%\\/yr\\); widest `));
    expect(text).toMatch(/perp\/spot volume bybit [\d.]+x; open interest bybit \$[\d.]+M, binanceusdm \$[\d.]+M/);
  });

  it("says when a venue was never polled", async () => {
    const env = await newApp({ now: NOW, settings: { venues: ["bybit"], symbols: [MNT] } });
    const text = (await statusCommand.run(env.app, [], OPERATOR)).text;
    expect(text).toContain("  bybit: no poll yet");
    expect(text).toContain(`  ${MNT}: no market data yet`);
  });
});
