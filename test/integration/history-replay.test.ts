import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadBinanceFunding, loadPanelFunding, loadVenueFunding, MULTI_EXCHANGE_VENUES, PANEL_COINS, sharedDataDir, type PanelCoin } from "../../src/history/shared-data";
import { HOUR_MS, loadAssetHistory, loadPanelHistory, replay, type AssetHistory, type ReplayStep } from "../../src/history/replay";
import { snapSettlement } from "../../src/core/trading/funding";
import { DEFAULT_ENGINE_PARAMS, streamsFor } from "../../src/core/signals/engine";

/**
 * The replay against the real files in ../shared/data. Row counts come from that folder's README;
 * the prices and prints below were read by hand from the CSVs (grep on the time_utc column).
 */
const utc = (iso: string): number => Date.parse(iso);

// Each file is parsed once for the whole test file.
const btc = loadAssetHistory("BTC");
const eth = loadAssetHistory("ETH");

describe("shared data loaders", () => {
  it("read every row the data README lists (CRLF files, header excluded)", () => {
    expect(btc.spot).toHaveLength(73_265);
    expect(eth.spot).toHaveLength(73_265);
    expect(btc.perp).toHaveLength(58_623);
    expect(eth.perp).toHaveLength(56_713);
    expect(btc.funding[0]?.prints).toHaveLength(7_323);
    expect(eth.funding[0]?.prints).toHaveLength(7_089);
    const rows: Record<string, number> = { binanceusdm: 4_383, gate: 4_290, bybit: 3_285, htx: 3_284, kucoinfutures: 3_285, mexc: 3_285, dydx: 17_520 };
    for (const history of [btc, eth]) {
      expect(history.funding.map((f) => f.venue).sort()).toEqual(Object.keys(rows).sort());
      // The trading venue's series is the longer Binance file, checked above.
      for (const f of history.funding.slice(1)) expect(f.prints, `${history.asset} ${f.venue}`).toHaveLength(rows[f.venue] ?? -1);
    }
    expect(loadVenueFunding("ETH", "binance")).toHaveLength(rows.binanceusdm ?? -1);
    expect(MULTI_EXCHANGE_VENUES).toHaveLength(7);
  });

  it("the long Binance funding file agrees with the multi-exchange one on every shared print (why the replay uses the long one)", () => {
    const long = new Map(btc.funding[0]?.prints.map((p) => [p.ts, p.rate]));
    const multi = loadVenueFunding("BTC", "binance");
    expect(multi).toHaveLength(4_383);
    expect(multi.every((p) => long.get(p.ts) === p.rate)).toBe(true);
  });

  it("parses values exactly and names the missing path when the data folder is elsewhere", () => {
    expect(btc.perp.find((c) => c.ts === utc("2022-03-01T07:00:00Z"))).toEqual({ ts: 1646118000000, open: 43439.6, high: 43555.0, low: 43262.4, close: 43471.7, volume: 9665.342 });
    expect(() => loadBinanceFunding("BTC", "/nonexistent/shared/data")).toThrow(/\/nonexistent\/shared\/data\/binance_spot_perp_1h\/binance_usdm_BTCUSDT_funding\.csv.*beside the repository/);
  });
});

describe("replay", () => {
  it("never shows anything at or after the decision time (every view of March 2022)", () => {
    const steps = [...replay(btc, { from: utc("2022-03-01T00:00:00Z"), to: utc("2022-03-31T16:00:00Z") })];
    expect(steps).toHaveLength(31 * 3);
    // Plain loops collecting violations: ~130k candles, too many for one expect() each.
    const violations: string[] = [];
    const fail = (ts: number, what: string): void => void violations.push(`${new Date(ts).toISOString()}: ${what}`);
    for (const { ts, view } of steps) {
      if (view.ts !== ts || new Date(ts).getUTCHours() % 8 !== 0) fail(ts, "off the 8-hourly grid");
      // All seven venues have funding in March 2022.
      if (view.venues.length !== 7) fail(ts, `${view.venues.length} venues`);
      for (const v of view.venues) {
        if (v.book !== null || v.previousBook !== null) fail(ts, `${v.venue} has a book`);
        for (const c of [...v.perpCandles, ...v.spotCandles]) if (c.ts + HOUR_MS > ts) fail(ts, `${v.venue} candle ${c.ts} not closed`);
        const f = v.funding;
        if (f === null) {
          fail(ts, `${v.venue} has no funding`);
          continue;
        }
        if (f.current.ts > ts) fail(ts, `${v.venue} current print from the future`);
        // Stale prints are not shown as current: at most two intervals old.
        if (ts - f.current.ts > 2 * f.intervalHours * HOUR_MS) fail(ts, `${v.venue} stale print`);
        let prev = -Infinity;
        for (const p of f.history) {
          if (p.ts >= f.current.ts || p.ts <= prev) fail(ts, `${v.venue} history print ${p.ts} out of order or not before current`);
          prev = p.ts;
        }
      }
      const binance = view.venues.find((v) => v.venue === "binanceusdm");
      // The perp has no gaps: the last closed bar is the one ending exactly at the decision time.
      if (binance?.perpCandles.at(-1)?.ts !== ts - HOUR_MS || binance.price !== binance.perpCandles.at(-1)?.close) fail(ts, "price is not the last close");
    }
    expect(violations).toEqual([]);
    expect(steps[10]?.view.venues.map((v) => v.venue).sort()).toEqual(["binanceusdm", "bybit", "dydx", "gate", "htx", "kucoinfutures", "mexc"]);
  });

  it("takes the latest settled print at or before the decision time as the current rate", () => {
    const [step] = [...replay(btc, { from: utc("2022-03-01T08:00:00Z"), to: utc("2022-03-01T08:00:00Z") })];
    const venue = (name: string) => step?.view.venues.find((v) => v.venue === name)?.funding;
    expect(venue("binanceusdm")?.current).toEqual({ ts: utc("2022-03-01T08:00:00Z"), rate: 0.0001 });
    expect(venue("binanceusdm")?.history.at(-1)).toEqual({ ts: utc("2022-03-01T00:00:00Z"), rate: 0.0001 });
    // KuCoin settles at 04/12/20 UTC: at 08:00 its live rate is the 04:00 print.
    expect(venue("kucoinfutures")?.current.ts).toBe(utc("2022-03-01T04:00:00Z"));
    // dYdX settles hourly.
    expect(venue("dydx")?.current.ts).toBe(utc("2022-03-01T08:00:00Z"));
    expect(venue("dydx")?.intervalHours).toBe(1);
  });

  it("computes forward returns from the perp close at the decision time, matching hand-read CSV rows", () => {
    const at = (history: AssetHistory): ReplayStep | undefined =>
      [...replay(history, { from: utc("2022-03-01T08:00:00Z"), to: utc("2022-03-01T08:00:00Z") })][0];
    // BTC perp closes: 07:00 bar 43471.7 (= price at 08:00), 11:00 bar 43599.9, 15:00 43625.9, 19:00 43693.7.
    const b = at(btc);
    expect(b?.entryPrice).toBe(43471.7);
    expect(b?.forwardReturns.h4).toBeCloseTo(43599.9 / 43471.7 - 1, 12);
    expect(b?.forwardReturns.h8).toBeCloseTo(43625.9 / 43471.7 - 1, 12);
    expect(b?.forwardReturns.h12).toBeCloseTo(43693.7 / 43471.7 - 1, 12);
    // Binance prints settling in (08:00, 08:00 + h]: none by 12:00, 16:00's 4.369e-05 by 16:00 and 20:00.
    expect(b?.fundingOverHorizon).toEqual({ h4: 0, h8: 4.369e-5, h12: 4.369e-5 });
    // ETH: 2921.56 → 2902.4 / 2949.2 / 2945.89.
    const e = at(eth);
    expect(e?.entryPrice).toBe(2921.56);
    expect(e?.forwardReturns.h4).toBeCloseTo(2902.4 / 2921.56 - 1, 12);
    expect(e?.forwardReturns.h8).toBeCloseTo(2949.2 / 2921.56 - 1, 12);
    expect(e?.forwardReturns.h12).toBeCloseTo(2945.89 / 2921.56 - 1, 12);
  });

  it("leaves spot gaps as gaps (Binance spot outage 2021-04-25 05:00–07:00) and ends the forward returns with the data", () => {
    const [step] = [...replay(btc, { from: utc("2021-04-25T16:00:00Z"), to: utc("2021-04-25T16:00:00Z") })];
    const spot = step?.view.venues.find((v) => v.venue === "binanceusdm")?.spotCandles ?? [];
    const hours = new Set(spot.map((c) => c.ts));
    expect(hours.has(utc("2021-04-25T04:00:00Z"))).toBe(true);
    for (const h of ["05", "06", "07"]) expect(hours.has(utc(`2021-04-25T${h}:00:00Z`))).toBe(false);
    expect(hours.has(utc("2021-04-25T08:00:00Z"))).toBe(true);

    const last = [...replay(btc, { from: (btc.perp.at(-1)?.ts ?? 0) - 7 * HOUR_MS })].at(-1);
    expect(last?.forwardReturns.h4).toBeNull();
    expect(last?.forwardReturns.h12).toBeNull();
  });
});

describe("incremental funding baseline in the replay", () => {
  it("decides exactly as re-scanning the history would, on a year of BTC", () => {
    const history = loadAssetHistory("BTC");
    const span = { from: Date.UTC(2022, 0, 1), to: Date.UTC(2023, 0, 1) };
    const rolling = [...replay(history, span)];
    const rescanned = [...replay(history, { ...span, rollingFundingBaseline: null })];
    expect(rolling.length).toBe(rescanned.length);
    let fired = 0;
    rolling.forEach((step, i) => {
      const other = rescanned[i];
      expect(step.view.venues.every((v) => v.funding?.baseline !== undefined)).toBe(true);
      expect(other?.view.venues.some((v) => v.funding?.baseline !== undefined)).toBe(false);
      const a = streamsFor(step.view, DEFAULT_ENGINE_PARAMS)[0];
      const b = streamsFor(other?.view ?? step.view, DEFAULT_ENGINE_PARAMS)[0];
      expect(a?.confirms, new Date(step.ts).toISOString()).toBe(b?.confirms);
      expect(a?.score ?? 0).toBeCloseTo(b?.score ?? 0, 9);
      if (a?.confirms !== "neutral") fired += 1;
    });
    expect(fired).toBeGreaterThan(50);
  });
});

/** A panel coin's funding file as Binance publishes it: raw stamps, every row. */
function rawPanelFunding(coin: PanelCoin): { ts: number; rate: number }[] {
  const text = readFileSync(`${sharedDataDir()}binance_perp_panel_1h/binance_usdm_${coin}USDT_funding.csv`, "utf8");
  return text.trim().split(/\r?\n/).slice(1).map((line) => {
    const [ts, , rate] = line.split(",");
    return { ts: Number(ts), rate: Number(rate) };
  });
}

describe("late and doubled funding stamps (Binance panel, as published)", () => {
  it("SOL and DOGE carry 680 stamps 1–16 ms after the hour and 46 settlements twice; LINK and ARB none; the loader keeps one on-the-minute print per settlement", () => {
    const expected: Record<PanelCoin, { late: number; doubled: number }> = { SOL: { late: 680, doubled: 46 }, DOGE: { late: 680, doubled: 46 }, LINK: { late: 0, doubled: 0 }, ARB: { late: 0, doubled: 0 } };
    for (const coin of PANEL_COINS) {
      const raw = rawPanelFunding(coin);
      const late = raw.filter((p) => p.ts % 60_000 !== 0);
      expect(late.every((p) => p.ts % 60_000 <= 16), coin).toBe(true);
      const settlements = new Set(raw.map((p) => snapSettlement(p.ts)));
      expect({ late: late.length, doubled: raw.length - settlements.size }, coin).toEqual(expected[coin]);
      const loaded = loadPanelFunding(coin);
      expect(loaded.map((p) => p.ts), coin).toEqual([...settlements].sort((a, b) => a - b));
      expect(loaded.every((p) => p.ts % 60_000 === 0), coin).toBe(true);
    }
  });

  for (const coin of ["SOL", "DOGE"] as const) {
    it(`${coin}: every settled print is the current rate of exactly the decisions from its settlement up to the next, never twice, never skipped`, () => {
      // The settlements, worked out from the raw file here, not by the loader under test.
      const raw = rawPanelFunding(coin);
      const settlements = [...new Map(raw.map((p) => [snapSettlement(p.ts), p.rate])).entries()].sort((a, b) => a[0] - b[0]);
      const steps = [...replay(loadPanelHistory(coin))];
      expect(steps.length).toBeGreaterThan(1_000);
      const used = new Map<number, number>();
      // Decisions shown another print than the last settled one; decisions whose history holds a
      // settlement twice, or one not before the current print.
      let wrongPrint = 0;
      let badHistory = 0;
      let k = 0;
      for (const { ts, view } of steps) {
        while ((settlements[k + 1]?.[0] ?? Infinity) <= ts) k++;
        const f = view.venues[0]?.funding;
        expect(f, new Date(ts).toISOString()).toBeDefined();
        if (!f) continue;
        const key = snapSettlement(f.current.ts);
        used.set(key, (used.get(key) ?? 0) + 1);
        if (key !== settlements[k]?.[0] || f.current.rate !== settlements[k]?.[1]) wrongPrint += 1;
        const history = f.history.map((p) => snapSettlement(p.ts));
        if (new Set(history).size !== history.length || history.some((h) => h >= key)) badHistory += 1;
      }
      const first = steps[0]?.ts ?? 0;
      const last = steps.at(-1)?.ts ?? 0;
      let twice = 0;
      let skipped = 0;
      settlements.forEach(([settled], i) => {
        if (settled < first - 8 * HOUR_MS || settled > last) return;
        const next = settlements[i + 1]?.[0] ?? Infinity;
        const expectedUses = steps.filter((s) => s.ts >= settled && s.ts < next).length;
        const uses = used.get(settled) ?? 0;
        if (uses > expectedUses) twice += 1;
        else if (uses < expectedUses) skipped += 1;
      });
      expect({ wrongPrint, twice, skipped, badHistory }).toEqual({ wrongPrint: 0, twice: 0, skipped: 0, badHistory: 0 });

      // Funding paid over the horizon: the 8 h windows (ts, ts + 8 h] tile the span, so each settlement in it is paid once.
      const paid = steps.reduce((sum, s) => sum + s.fundingOverHorizon.h8, 0);
      const due = settlements.filter(([t]) => t > first && t <= last + 8 * HOUR_MS).reduce((sum, [, rate]) => sum + rate, 0);
      expect(paid).toBeCloseTo(due, 12);
    });
  }
});
