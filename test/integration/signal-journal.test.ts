import { describe, expect, it } from "vitest";
import { journalSignals, previousSignals } from "../../src/app/signal-journal";
import { crossExchange } from "../../src/core/signals/cross-exchange";
import type { Signal } from "../../src/core/signals/engine";
import { useRecordingApps } from "../support/test-env";

/**
 * The cycle's journal: one insert for all decisions, and each symbol's previous decision kept in
 * memory between cycles — trusted only while nobody else has written to the journal since.
 */
const T = Date.UTC(2026, 5, 1, 12);
const newApp = useRecordingApps();
const SYMBOLS = ["AAA/USDT:USDT", "BBB/USDT:USDT", "CCC/USDT:USDT"];

const decision = (direction: "long" | "short" | "neutral"): Signal => ({
  direction, fired: direction !== "neutral", score: direction === "long" ? 0.6 : direction === "short" ? -0.6 : 0, confidence: 0.6,
  confirming: [], required: 3, horizonHours: 8, modelVersion: "prior-v1", streams: [], explanation: `${direction} because`,
  crossExchange: crossExchange({ symbol: "AAA/USDT:USDT", ts: T, venues: [] }),
  confirmedAcrossExchanges: false,
});

describe("signal journal", () => {
  it("journals a cycle in one insert and returns the ids in the order given", async () => {
    const { app } = await newApp({ now: T, settings: { symbols: SYMBOLS } });
    const ids = await journalSignals(app, T, SYMBOLS.map((symbol, i) => ({ symbol, decision: decision(i === 1 ? "short" : "neutral") })));
    const rows = await app.db.signal.findMany({ where: { id: { in: ids } } });
    expect(ids.map((id) => rows.find((r) => r.id === id)?.symbol)).toEqual(SYMBOLS);
    expect(rows.find((r) => r.symbol === SYMBOLS[1])).toMatchObject({ direction: "short", fired: true, explanation: "short because" });
  });

  it("remembers each symbol's previous decision, and reads again after another writer or a cleared journal", async () => {
    const { app } = await newApp({ now: T, settings: { symbols: SYMBOLS } });
    const first = await previousSignals(app, SYMBOLS);
    expect([...first.values()]).toEqual([null, null, null]);
    await journalSignals(app, T, [{ symbol: SYMBOLS[0] ?? "", decision: decision("long") }]);
    expect((await previousSignals(app, SYMBOLS)).get(SYMBOLS[0] ?? "")).toEqual({ fired: true, direction: "long" });

    // Another worker journals a decision: the memory must not hide it.
    await app.db.signal.create({
      data: { symbol: SYMBOLS[2] ?? "", venue: "bybit", ts: new Date(T + 1), direction: "short", fired: true, score: -0.5, confidence: 0.5, horizonHours: 8, explanation: "x", streamsJson: "[]", modelVersion: "prior-v1", crossConfirmed: false },
    });
    const afterForeign = await previousSignals(app, SYMBOLS);
    expect(afterForeign.get(SYMBOLS[2] ?? "")).toEqual({ fired: true, direction: "short" });
    expect(afterForeign.get(SYMBOLS[0] ?? "")).toEqual({ fired: true, direction: "long" });

    // A write by another process between the read and this cycle's insert: its decision is read next time.
    await previousSignals(app, SYMBOLS);
    await app.db.signal.create({
      data: { symbol: SYMBOLS[1] ?? "", venue: "bybit", ts: new Date(T + 2), direction: "long", fired: true, score: 0.5, confidence: 0.5, horizonHours: 8, explanation: "x", streamsJson: "[]", modelVersion: "prior-v1", crossConfirmed: false },
    });
    await journalSignals(app, T + 3, [{ symbol: SYMBOLS[0] ?? "", decision: decision("neutral") }]);
    const next = await previousSignals(app, SYMBOLS);
    expect(next.get(SYMBOLS[1] ?? "")).toEqual({ fired: true, direction: "long" });
    expect(next.get(SYMBOLS[0] ?? "")).toEqual({ fired: false, direction: "neutral" });

    await app.db.signal.deleteMany({});
    expect([...(await previousSignals(app, SYMBOLS)).values()]).toEqual([null, null, null]);
  });

  it("gives each cycle the decisions as they were before it: journaling the cycle's own does not change what it compares with", async () => {
    const { app } = await newApp({ now: T, settings: { symbols: SYMBOLS } });
    const symbol = SYMBOLS[0] ?? "";
    const cold = await previousSignals(app, SYMBOLS);
    await journalSignals(app, T, [{ symbol, decision: decision("short") }]);
    expect(cold.get(symbol)).toBeNull();
    const warm = await previousSignals(app, SYMBOLS);
    await journalSignals(app, T + 1, [{ symbol, decision: decision("long") }]);
    expect(warm.get(symbol)).toEqual({ fired: true, direction: "short" });
    expect((await previousSignals(app, SYMBOLS)).get(symbol)).toEqual({ fired: true, direction: "long" });
  });
});
