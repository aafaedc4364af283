import { describe, expect, it } from "vitest";
import { loadMarketView } from "../../src/app/market-view";
import { replay, type AssetHistory } from "../../src/history/replay";
import { SETTLEMENT_TOLERANCE_MS, settledPrints } from "../../src/history/shared-data";
import { seedSnapshot } from "../support/fixtures";
import { useRecordingApps } from "../support/test-env";

/** Funding stamps as venues publish them (Binance: 1–16 ms after the hour, some twice) are keyed by their settlement. */
const H = 3_600_000;
const at = (hour: number, ms = 0): number => Date.UTC(2025, 1, 2) + hour * H + ms;

describe("settledPrints (every funding loader)", () => {
  it("snaps late stamps onto the minute within 1 s, keeps one print per settlement, leaves other stamps alone", () => {
    expect(SETTLEMENT_TOLERANCE_MS).toBe(1_000);
    const raw = [
      { ts: at(0), rate: 1 },
      { ts: at(8, 1), rate: 2 },
      { ts: at(16), rate: 3 },
      { ts: at(16, 6), rate: 3 }, // the same settlement published twice
      { ts: at(24, 11), rate: 4 },
      { ts: at(32, 5_000), rate: 5 }, // 5 s off: not jitter, kept as stamped
    ];
    expect(settledPrints("f.csv", raw)).toEqual([
      { ts: at(0), rate: 1 }, { ts: at(8), rate: 2 }, { ts: at(16), rate: 3 }, { ts: at(24), rate: 4 }, { ts: at(32, 5_000), rate: 5 },
    ]);
  });

  it("refuses one settlement printed twice with different rates, and stamps out of order", () => {
    expect(() => settledPrints("f.csv", [{ ts: at(8), rate: 1 }, { ts: at(8, 3), rate: 2 }])).toThrow(/f\.csv: settlement 2025-02-02T08:00:00\.000Z printed twice/);
    expect(() => settledPrints("f.csv", [{ ts: at(8), rate: 1 }, { ts: at(0), rate: 2 }])).toThrow(/not strictly increasing/);
  });
});

describe("the replay on snapped prints", () => {
  it("shows a print settling at the decision time as that decision's current rate", () => {
    const perp = Array.from({ length: 40 }, (_, i) => ({ ts: at(i - 8), open: 1, high: 1, low: 1, close: 1, volume: 1 }));
    const prints = settledPrints("f.csv", [{ ts: at(-8, 3), rate: 1 }, { ts: at(0, 1), rate: 2 }, { ts: at(8, 9), rate: 3 }, { ts: at(16), rate: 4 }, { ts: at(16, 2), rate: 4 }]);
    const history: AssetHistory<string> = { asset: "X", symbol: "X/USDT:USDT", perp, spot: [], funding: [{ venue: "binanceusdm", intervalHours: 8, prints }] };
    const steps = [...replay(history, { from: at(0), to: at(16) })];
    expect(steps.map((s) => s.view.venues[0]?.funding?.current.rate)).toEqual([2, 3, 4]);
    expect(steps.map((s) => s.view.venues[0]?.funding?.history.map((p) => p.rate))).toEqual([[1], [1, 2], [1, 2, 3]]);
  });
});

describe("loadMarketView on stored prints", () => {
  const recordingApp = useRecordingApps();

  it("counts a settlement stored twice once, by its settlement minute", async () => {
    const { app } = await recordingApp({ now: at(16, 500) });
    const row = (ts: number, rate: number) => ({ venue: "bybit", symbol: "MNT/USDT:USDT", ts: new Date(ts), rate });
    await app.db.fundingPrint.createMany({
      data: [row(at(0, 4), 0.0001), row(at(8), 0.0002), row(at(8, 7), 0.0002), row(at(16, 3), 0.0003)],
    });
    // The poll landed 2 ms after the hour, before the 16:00 print's late stamp but after its settlement.
    await seedSnapshot(app, { price: 1, fundingRate: 0.0005, ts: at(16, 2) });
    const view = await loadMarketView(app, "MNT/USDT:USDT", at(16, 500));
    const funding = view.venues[0]?.funding;
    expect(funding?.current).toEqual({ ts: at(16, 2), rate: 0.0005 });
    expect(funding?.history).toEqual([{ ts: at(0), rate: 0.0001 }, { ts: at(8), rate: 0.0002 }, { ts: at(16), rate: 0.0003 }]);
  });

  it("includes a print that settled before the snapshot even when its late stamp is after it; one settling at the snapshot's instant is not history", async () => {
    const { app } = await recordingApp({ now: at(0, 500) });
    await app.db.fundingPrint.createMany({ data: [{ venue: "bybit", symbol: "MNT/USDT:USDT", ts: new Date(at(0, 9)), rate: 0.0001 }] });
    // Snapshot polled 5 ms after the settlement, print stamped 9 ms after: settled first, so it is history.
    await seedSnapshot(app, { price: 1, fundingRate: 0.0005, ts: at(0, 5) });
    const view = await loadMarketView(app, "MNT/USDT:USDT", at(0, 500));
    expect(view.venues[0]?.funding?.history).toEqual([{ ts: at(0), rate: 0.0001 }]);

    const { app: onTheHour } = await recordingApp({ now: at(0, 500) });
    await onTheHour.db.fundingPrint.createMany({ data: [{ venue: "bybit", symbol: "MNT/USDT:USDT", ts: new Date(at(0, 9)), rate: 0.0001 }] });
    await seedSnapshot(onTheHour, { price: 1, fundingRate: 0.0005, ts: at(0) });
    expect((await loadMarketView(onTheHour, "MNT/USDT:USDT", at(0, 500))).venues[0]?.funding?.history).toEqual([]);
  });
});
