import { describe, expect, it } from "vitest";
import { approveProposal } from "../../src/app/decide-proposal";
import { executeProposal } from "../../src/app/execute-proposal";
import { monitorTrades } from "../../src/app/monitor-trades";
import type { App } from "../../src/app/context";
import { formatPrice } from "../../src/chat/render/proposal-card";
import { round } from "../../src/core/stats";
import { openDatabase } from "../../src/store/database";
import { useRecordingApps, type RecordingApp } from "../support/test-env";
import { seedProposal, seedSnapshot } from "../support/fixtures";

const alice = { platform: "telegram" as const, userId: "111", displayName: "alice" };
const MIN = 60_000;

const newApp = useRecordingApps();

/** A paper short at 0.6 (5x: liquidation about 19.5% above the entry), warned at 50% and 80% of the way there. */
async function openPosition(side: "long" | "short" = "short", levels?: readonly number[]) {
  const env = await newApp({ now: Date.UTC(2026, 0, 5, 1, 0, 0), settings: levels === undefined ? { liquidationWarningAt: [0.5, 0.8] } : { liquidationWarningAt: levels } });
  await seedSnapshot(env.app, { price: 0.6 });
  const id = await seedProposal(env.app, { side, price: 0.6 });
  await approveProposal(env.app, id, alice);
  await executeProposal(env.app, id);
  const position = await env.app.db.position.findUniqueOrThrow({ where: { proposalId: id } });
  const entry = Number(position.entryPrice);
  const liquidation = Number(position.liquidationPrice);
  const at = (share: number): number => entry + share * (liquidation - entry);
  return { ...env, id, entry, liquidation, stop: Number(position.stopPrice), at };
}

/** A monitor pass a minute later at `price`; the liquidation warnings the outbox holds afterwards. */
async function passAt(env: RecordingApp, app: App, price: number) {
  env.setNow(env.app.clock() + MIN);
  await seedSnapshot(app, { price });
  const outcome = await monitorTrades(app);
  const rows = await app.db.intent.findMany({ where: { id: { startsWith: "text-liquidation-" } }, orderBy: { createdAt: "asc" } });
  return { outcome, warnings: rows.map((r) => ({ id: r.id, ...(JSON.parse(r.payloadJson) as { text: string; event?: string }) })) };
}

/** The SQLite file behind an app's connection (the test helper keeps it to itself). */
async function databaseFileOf(app: App): Promise<string> {
  const rows = await app.db.$queryRawUnsafe<{ name: string; file: string }[]>("PRAGMA database_list");
  const main = rows.find((r) => r.name === "main");
  if (main === undefined || main.file === "") throw new Error("no database file");
  return main.file;
}

describe("liquidation warnings", () => {
  it("a position driven toward liquidation across monitor passes: one warning per level, none on repeats or after a restart", async () => {
    const env = await openPosition("short");
    const { id, at } = env;
    expect((await passAt(env, env.app, at(0.3))).warnings).toEqual([]);
    // Past the 2% stop already: the exit starts (the position is still held until it fills).
    const half = await passAt(env, env.app, at(0.5));
    expect(half.warnings.map((w) => w.id)).toEqual([`text-liquidation-${id}-50`]);
    expect(half.outcome.liquidationWarnings).toBe(1);
    expect((await passAt(env, env.app, at(0.6))).warnings).toHaveLength(1);
    const eighty = await passAt(env, env.app, at(0.8));
    expect(eighty.warnings.map((w) => w.id)).toEqual([`text-liquidation-${id}-50`, `text-liquidation-${id}-80`]);
    expect(eighty.warnings.every((w) => w.event === "liquidation")).toBe(true);
    expect((await passAt(env, env.app, at(0.85))).warnings).toHaveLength(2);
    expect((await passAt(env, env.app, at(0.5))).warnings).toHaveLength(2);

    // A restart: a new process on the same database file runs the same passes again.
    const restarted: App = { ...env.app, db: await openDatabase(`file:${await databaseFileOf(env.app)}`) };
    try {
      const again = await passAt(env, restarted, at(0.85));
      expect(again.warnings).toHaveLength(2);
      expect(again.outcome.liquidationWarnings).toBe(0);
    } finally {
      await restarted.db.$disconnect();
    }
    expect(env.dispatched.filter((d) => d.startsWith("text-liquidation-"))).toHaveLength(2);
  });

  it("says symbol, side, venue, mark, liquidation price, distance and the stop — here already passed, its exit working", async () => {
    const env = await openPosition("long");
    const { id, at, entry, liquidation, stop } = env;
    const mark = Number(at(0.5).toFixed(6));
    const { warnings } = await passAt(env, env.app, mark);
    expect(warnings).toHaveLength(1);
    const text = warnings[0]?.text ?? "";
    expect(text).toContain(`⚠️ Liquidation warning: MNT/USDT:USDT LONG on bybit (${id}).`);
    expect(text).toContain(`The mark ${formatPrice(mark)} has come 50% of the way from the entry ${formatPrice(entry)} to the estimated liquidation price ${formatPrice(liquidation)}, which is`);
    expect(text).toContain(` which is ${round(((mark - liquidation) / mark) * 100, 2)}% away.`);
    expect(text).toContain(`The mark is already past the stop at ${formatPrice(stop)}, so the stop did not close it. Its exit order (stop-loss) is already working; check that it fills.`);
  });

  it("says honestly when the stop lies beyond the liquidation price (the venue would liquidate first)", async () => {
    const env = await openPosition("short");
    const { id, at, liquidation } = env;
    // A stop set past the liquidation price (e.g. a position taken over from the venue): the mark never reaches it first.
    await env.app.db.position.update({ where: { proposalId: id }, data: { stopPrice: String(liquidation * 1.01) } });
    const { warnings, outcome } = await passAt(env, env.app, at(0.55));
    expect(outcome.exiting).toEqual([]);
    expect(warnings.map((w) => w.id)).toEqual([`text-liquidation-${id}-50`]);
    expect(warnings[0]?.text).toMatch(/has come 55% of the way .* The stop at [\d.]+ lies beyond the liquidation price: the venue would liquidate the position before the stop acts\. Add margin or close it with \/close p[0-9a-f]+\.$/);
  });

  it("a jump past both levels warns once, for the higher, and the lower is never said afterwards", async () => {
    const env = await openPosition("long");
    const { id, at } = env;
    expect((await passAt(env, env.app, at(0.9))).warnings.map((w) => w.id)).toEqual([`text-liquidation-${id}-80`]);
    expect((await passAt(env, env.app, at(0.6))).warnings.map((w) => w.id)).toEqual([`text-liquidation-${id}-80`]);
  });

  it("no levels configured: no warnings", async () => {
    const env = await openPosition("short", []);
    expect((await passAt(env, env.app, env.at(0.95))).warnings).toEqual([]);
  });
});
