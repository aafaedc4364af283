/**
 * The desk's read commands and /risk through the real router, on a real database: /signals,
 * /positions, /funding, /risk, /report. Numbers are checked against sums done here by hand from
 * the stored fills, each counted once.
 */
import Decimal from "decimal.js";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../commands";
import { approveProposal } from "../../src/app/decide-proposal";
import { closeTrade, executeProposal } from "../../src/app/execute-proposal";
import { applyTradeEvent } from "../../src/app/trade-flow";
import { monitorTrades } from "../../src/app/monitor-trades";
import { computeSignals, newProposalId } from "../../src/app/compute-signals";
import { proposeTrade } from "../../src/app/propose-trade";
import { createChatRouter } from "../../src/chat/chat-router";
import type { Actor } from "../../src/chat/transport";
import type { App } from "../../src/app/context";
import { useRecordingApps, type RecordingAppOptions } from "../support/test-env";
import { seedProposal, seedSnapshot } from "../support/fixtures";

const admin: Actor = { platform: "telegram", userId: "111", displayName: "alice" };
const viewer: Actor = { platform: "telegram", userId: "333", displayName: "victor" };
const approver: Actor = { platform: "telegram", userId: "444", displayName: "ann" };
const MNT = "MNT/USDT:USDT";
const ETH = "ETH/USDT:USDT";
const T0 = Date.UTC(2026, 0, 5, 1, 0, 0); // an hour after the 00:00 settlement
const MIN = 60_000;
const HOUR = 3_600_000;

const newApp = useRecordingApps();

async function setup(options: RecordingAppOptions = {}) {
  const env = await newApp({
    now: T0, ...options,
    settings: { symbols: [MNT, ETH], chatRoles: { telegram: { "111": "admin", "333": "viewer", "444": "approver" }, discord: {} }, ...options.settings },
  });
  const router = createChatRouter(env.app, COMMANDS);
  return { ...env, router, say: (actor: Actor, name: string, ...args: string[]) => router.onCommand(name, args, actor) };
}

async function openShort(app: App, price = 0.6, symbol = MNT): Promise<string> {
  const id = await seedProposal(app, { side: "short", price, symbol });
  await approveProposal(app, id, admin);
  await executeProposal(app, id);
  return id;
}

async function signal(app: App, input: { symbol: string; ts: number; direction: string; fired: boolean; score: number; confidence: number; cross?: boolean; explanation?: string }) {
  await app.db.signal.create({
    data: {
      symbol: input.symbol, venue: "bybit", ts: new Date(input.ts), direction: input.direction, fired: input.fired, score: input.score, confidence: input.confidence,
      horizonHours: 8, explanation: input.explanation ?? "why", streamsJson: "[]", modelVersion: "prior-v1", crossConfirmed: input.cross ?? false,
    },
  });
}

describe("/signals", () => {
  it("shows the latest signal of every symbol, its age and cross-venue confirmation; one symbol adds the explanation", async () => {
    const { app, say } = await setup();
    await signal(app, { symbol: MNT, ts: T0 - 2 * HOUR, direction: "long", fired: true, score: 0.9, confidence: 0.9 });
    await signal(app, { symbol: MNT, ts: T0 - 5 * MIN, direction: "short", fired: true, score: -0.4213, confidence: 0.4213, cross: true, explanation: "SHORT for the next 8h: 3 of 4 streams confirm\nfunding-anomaly: crowded longs" });
    await signal(app, { symbol: ETH, ts: T0 - 45 * MIN, direction: "neutral", fired: false, score: 0.05, confidence: 0 });
    const all = (await say(viewer, "signals")).text;
    expect(all.split("\n")).toEqual([
      "Latest signal per symbol (score from -1 short to +1 long):",
      `${MNT}: SHORT fired, score -0.421, confidence 0.421, confirmed across exchanges, 8h horizon; 5m ago`,
      `${ETH}: no trade (neutral), score 0.05, confidence 0, not confirmed across exchanges, 8h horizon; 45m ago — OLD: no newer signal, check /status`,
      "Send /signals <symbol> for the reasons.",
    ]);
    const one = (await say(viewer, "signals", "mnt")).text;
    expect(one).toContain(`${MNT}: SHORT fired, score -0.421`);
    expect(one).toContain("SHORT for the next 8h: 3 of 4 streams confirm\nfunding-anomaly: crowded longs");
    expect(one).not.toContain(ETH);
  });

  it("says when a symbol has no signal yet, refuses an unknown symbol with the list, and gives its usage for extra words", async () => {
    const { say } = await setup();
    expect((await say(viewer, "signals", "ETH/USDT")).text).toBe(`${ETH}: no signal yet (the first comes after the first market poll).`);
    expect((await say(viewer, "signals", "DOGE")).text).toBe(`Unknown symbol "DOGE". This bot watches: ${MNT}, ${ETH} (the base coin alone, e.g. MNT, is enough).`);
    expect(await say(viewer, "signals", "MNT", "ETH")).toEqual({ text: "Usage: /signals [symbol], e.g. /signals or /signals MNT", private: true });
  });


  it("fits Telegram's 4,096 characters, whole lines first, and says what was left out", async () => {
    const { app, say } = await setup();
    const explanation = Array.from({ length: 300 }, (_, i) => `stream line ${i}: ${"x".repeat(30)}`).join("\n");
    await signal(app, { symbol: MNT, ts: T0 - MIN, direction: "neutral", fired: false, score: 0, confidence: 0, explanation });
    const text = (await say(viewer, "signals", "MNT")).text;
    expect(text.length).toBeLessThanOrEqual(4096);
    expect(text).toMatch(/\n… \d+ more lines left out \(message limit\)\.$/);
    expect(text.split("\n").slice(2, -1).every((line) => /^stream line \d+: x{30}$/.test(line))).toBe(true);
  });
});

describe("/positions", () => {
  it("says so when there are none", async () => {
    const { say } = await setup();
    expect((await say(viewer, "positions")).text).toBe("No open positions.");
    expect((await say(viewer, "positions", "all")).text).toBe("Usage: /positions (no arguments)");
  });

  it("shows size with its unit and notional, prices, and the net unrealized PnL split into price, fees and funding, each once", async () => {
    const { app, say, setNow } = await setup();
    const id = await openShort(app);
    // One settlement (08:00, rate 0.04%) booked by the monitor, then a mark of 0.59 at 08:30.
    await app.db.fundingPrint.create({ data: { venue: "bybit", symbol: MNT, ts: new Date(Date.UTC(2026, 0, 5, 8)), rate: 0.0004 } });
    setNow(Date.UTC(2026, 0, 5, 8, 30));
    await seedSnapshot(app, { price: 0.59 });
    await monitorTrades(app);
    const row = await app.db.position.findUniqueOrThrow({ where: { proposalId: id } });
    const qty = new Decimal(row.quantity);
    const entry = new Decimal(row.entryPrice);
    const fees = new Decimal(row.feesPaid);
    const funding = new Decimal(row.fundingPnl);
    expect(qty.toString()).toBe("8333.333");
    // Paper entry fee: taker 5.5 bp of what filled; funding: a short receives quantity × the mark
    // at the settlement (the 0.6 quote, the last before 08:00) × rate.
    expect(fees.toNumber()).toBeCloseTo(qty.times(entry).times(0.00055).toNumber(), 8);
    expect(funding.toNumber()).toBeCloseTo(8333.333 * 0.6 * 0.0004, 8);
    const move = entry.minus(0.59).times(qty);
    const net = move.minus(fees).plus(funding);
    const usd = (x: Decimal) => `${x.isNeg() ? "-" : "+"}${x.abs().toNumber().toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })} USDT`;
    const text = (await say(viewer, "positions")).text;
    expect(text.split("\n")).toEqual([
      "1 open position (paper); unrealized is net of every fee paid and the funding so far, each counted once:",
      `${id} ${MNT} SHORT 8,333.333 MNT (4,916.67 USDT at mark) on bybit, open 7h30m`,
      `  entry ${Number(entry.toFixed(6))}, mark 0.59 (0s old), stop ${Number(Number(row.stopPrice).toFixed(6))}, take-profit ${Number(Number(row.takeProfitPrice).toFixed(6))}`,
      `  unrealized ${usd(net)} net = price move ${usd(move)} - fees ${fees.toNumber().toFixed(2)} USDT + funding received ${funding.toNumber().toFixed(2)} USDT (1 settlement)`,
      "Close one with /close <id>, all with /close all.",
    ]);
    // The same net figure as /pnl's open-position line: one definition of unrealized.
    expect((await say(viewer, "pnl")).text).toContain(`open positions ${usd(net).replace("+", "")}`);
  });

  it("marks a stale mark", async () => {
    const { app, say, setNow } = await setup();
    await openShort(app);
    setNow(T0 + 45 * MIN);
    expect((await say(viewer, "positions")).text).toContain("mark 0.6 (45m old, STALE)");
  });
});

describe("/funding", () => {
  async function market(app: App) {
    const snap = (venue: string, rate: number, intervalHours: number, ts: number, next: number) => app.db.marketSnapshot.create({
      data: { venue, symbol: MNT, ts: new Date(ts), fundingRate: rate, fundingIntervalHours: intervalHours, nextFundingTs: new Date(next), markPrice: 0.6, lastPrice: 0.6, quoteVolume24h: 1e6 },
    });
    await snap("bybit", 0.0001, 8, T0 - 2 * MIN, Date.UTC(2026, 0, 5, 8));
    await snap("okx", 0.0002, 4, T0 - 3 * MIN, Date.UTC(2026, 0, 5, 4));
    await snap("binanceusdm", 0.002, 8, T0 - 40 * MIN, Date.UTC(2026, 0, 5, 0)); // stale, and its next time has passed
  }

  it("shows each venue's rate, interval, 8h footing and next time, the widest fresh spread, and what a position will receive", async () => {
    const { app, say } = await setup({ settings: { venues: ["bybit", "okx", "binanceusdm", "bitget"] } });
    const id = await openShort(app); // seeds a bybit snapshot at T0: rate 0.01% per 8h, mark 0.6
    await market(app);
    const text = (await say(viewer, "funding", "MNT")).text;
    expect(text.split("\n")).toEqual([
      `${MNT} funding (positive: longs pay shorts):`,
      "  bybit: +0.01% per 8h, next 08:00 UTC (in 7h00m)",
      "  okx: +0.02% per 4h (= +0.04% per 8h), next 04:00 UTC (in 3h00m)",
      "  binanceusdm: +0.2% per 8h, next time unknown (the reported 00:00 UTC has passed) — STALE, 40m old, not used",
      "  bitget: no funding data",
      // okx 0.04%/8h against bybit 0.01%/8h; binance's 0.2% is stale and left out.
      "Widest spread (8h footing, fresh venues): okx minus bybit = 0.03%",
      "Open positions at the next settlement (today's rate and mark):",
      // 8,333.333 MNT × 0.6 × 0.0001 = 0.49999998 USDT, received by a short.
      `  ${id} SHORT 8,333.333 MNT on bybit: receives about 0.5 USDT at 08:00 UTC (in 7h00m) — the rate is positive: longs pay shorts, so this short receives.`,
    ]);
  });

  it("says a long pays on a positive rate, covers every symbol without an argument, and refuses unknown symbols", async () => {
    const { app, say } = await setup();
    const id = await seedProposal(app, { side: "long", price: 0.6 });
    await approveProposal(app, id, admin);
    await executeProposal(app, id);
    const text = (await say(viewer, "funding")).text;
    expect(text).toContain(`${id} LONG 8,333.333 MNT on bybit: pays about 0.5 USDT at 08:00 UTC (in 7h00m) — the rate is positive: longs pay shorts, so this long pays.`);
    expect(text).toContain(`${ETH} funding (positive: longs pay shorts):\n  bybit: no funding data\nWidest spread: needs fresh rates from two venues.\nNo open positions on ${ETH}.`);
    expect((await say(viewer, "funding", "XRP")).text).toMatch(/^Unknown symbol "XRP"\. This bot watches: MNT\/USDT:USDT, ETH\/USDT:USDT/);
  });
});

describe("/risk", () => {
  it("shows the profile and its rules to a viewer, refuses a viewer's change, and an admin's change is stored, audited, told and used by the next cycle", async () => {
    const { app, say, notices } = await setup();
    const shown = (await say(viewer, "risk")).text;
    expect(shown).toMatch(/^Risk profile: conservative — the configured default, RISK_PROFILE; not changed in chat\.\nA signal fires when at least 3 of the 4 streams confirm/);
    expect(shown).toContain("weighted score reaches 0.3 either way");
    expect(shown).toContain("a funding spread above 0.05% per 8h between two venues");

    for (const actor of [viewer, approver]) {
      const refused = await say(actor, "risk", "aggressive");
      expect(refused.text).toMatch(/^\/risk needs the admin role; you are an? (viewer|approver)\./);
      expect(refused.private).toBe(true);
    }
    expect(await app.db.setting.findUnique({ where: { key: "risk.profile" } })).toBeNull();
    expect((await say(admin, "risk", "reckless")).text).toBe("Usage: /risk [conservative|aggressive], e.g. /risk to see it, /risk aggressive to change it (admin)");

    const before = await computeSignals(app);
    expect(before.map((o) => o.decision.required)).toEqual([3, 3]);

    const changed = (await say(admin, "risk", "AGGRESSIVE")).text;
    expect(changed).toMatch(/^Risk profile changed from conservative to aggressive; the next signal cycle uses it\.\nRisk profile: aggressive — set in chat by alice \(telegram\) at 01:00 UTC\.\nA signal fires when at least 2 of the 4 streams/);
    expect(JSON.parse((await app.db.setting.findUniqueOrThrow({ where: { key: "risk.profile" } })).value)).toEqual({ profile: "aggressive", by: "alice (telegram)", at: T0 });
    expect(await app.db.auditLog.findFirst({ where: { action: "risk-profile" } })).toMatchObject({ userId: "111", target: "aggressive", outcome: "ok", detail: "conservative -> aggressive" });
    expect(notices).toContainEqual({ kind: "text", text: expect.stringMatching(/^Risk profile changed from conservative to aggressive by alice \(telegram\): from the next signal cycle, 2 streams must agree/) as unknown });

    const after = await computeSignals(app);
    expect(after.map((o) => o.decision.required)).toEqual([2, 2]);
    expect(after[0]?.decision.explanation).toMatch(/\(need 2\)/);
    expect((await say(admin, "risk", "aggressive")).text).toMatch(/^The risk profile was already aggressive; nothing changed\./);
  });

  it("an admin's change turns two confirming streams into a fired signal and a proposal at the next cycle", async () => {
    const { app, say } = await setup({ settings: { symbols: [MNT] } });
    // A book whose near depth is all bids, with a bid wall 0.3% below mid: book imbalance and
    // liquidation walls both lean long; nothing else confirms. Conservative needs 3 streams.
    const bids = [...Array.from({ length: 10 }, (_, i) => [0.5999 - i * 0.0001, 10]), [0.598, 10_000]];
    const asks = Array.from({ length: 10 }, (_, i) => [0.6001 + i * 0.0001, 10]);
    await app.db.marketSnapshot.create({
      data: { venue: "bybit", symbol: MNT, ts: new Date(T0 - MIN), fundingRate: 0.0001, fundingIntervalHours: 8, markPrice: 0.6, lastPrice: 0.6, bid: 0.5999, ask: 0.6001, bookJson: JSON.stringify({ bids, asks }) },
    });
    const [conservative] = await computeSignals(app);
    expect(conservative?.decision).toMatchObject({ fired: false, required: 3 });
    expect(conservative?.decision.confirming).toEqual(["liquidation-walls", "book-imbalance"]);
    expect(conservative?.proposalId).toBeNull();
    await say(admin, "risk", "aggressive");
    const [aggressive] = await computeSignals(app);
    expect(aggressive?.decision).toMatchObject({ fired: true, direction: "long", required: 2 });
    expect(aggressive?.proposalId).not.toBeNull();
  });
});

describe("/risk and auto-execute", () => {
  it("auto-execute follows the profile in force, not the configured one", async () => {
    const { app, say } = await setup({ settings: { autoExecuteProfiles: ["aggressive"] } });
    const request = { symbol: MNT, side: "short" as const, horizonHours: 8, signalId: null, regime: "normal" as const, venueView: { price: 0.6, funding: null } };
    const first = await proposeTrade(app, { ...request, id: newProposalId(), now: app.clock() });
    expect((await app.db.proposal.findUniqueOrThrow({ where: { id: first.proposalId ?? "" } })).autoExecute).toBe(false);
    await app.db.proposal.update({ where: { id: first.proposalId ?? "" }, data: { status: "rejected" } });
    await say(admin, "risk", "aggressive");
    const second = await proposeTrade(app, { ...request, id: newProposalId(), now: app.clock() });
    expect((await app.db.proposal.findUniqueOrThrow({ where: { id: second.proposalId ?? "" } })).autoExecute).toBe(true);
  });
});

describe("/report", () => {
  /** A real round trip through the lifecycle: a short opened at 0.6 and closed at `exit`, fees and all. */
  async function roundTrip(app: App, setNow: (t: number) => void, openAt: number, exit: number): Promise<number> {
    setNow(openAt);
    const id = await openShort(app);
    setNow(openAt + HOUR);
    await seedSnapshot(app, { price: exit });
    await applyTradeEvent(app, id, (s) => (s.status === "open" ? { kind: "close-request", by: "test" } : null));
    await closeTrade(app, id);
    const row = await app.db.position.findUniqueOrThrow({ where: { proposalId: id } });
    expect(row.status).toBe("closed");
    return Number(row.realizedPnl);
  }

  it("counts only this month's closed trades, after costs, and says plainly there are too few to compare", async () => {
    const { app, say, setNow } = await setup();
    await roundTrip(app, setNow, Date.UTC(2026, 0, 31, 12), 0.59); // January: not this month
    const won1 = await roundTrip(app, setNow, Date.UTC(2026, 1, 1, 0), 0.59);
    const won2 = await roundTrip(app, setNow, Date.UTC(2026, 1, 3, 0), 0.595);
    const lost = await roundTrip(app, setNow, Date.UTC(2026, 1, 5, 0), 0.606);
    expect([won1 > 0, won2 > 0, lost < 0]).toEqual([true, true, true]);
    setNow(Date.UTC(2026, 1, 10, 12));
    const text = (await say(viewer, "report")).text;
    const usd = (x: number) => `${x < 0 ? "-" : ""}${Math.abs(x).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })} USDT`;
    const avgWin = (won1 + won2) / 2;
    const rr = avgWin / Math.abs(lost);
    expect(text.split("\n")).toEqual([
      "February 2026 so far (paper, trades closed since the 1st, UTC; results after fees, funding and slippage):",
      `Trades 3 (2 won, 1 lost or flat), net ${usd(won1 + won2 + lost)}`,
      // Wilson 95% interval for 2 of 3.
      "Win rate 66.7% (95% interval 20.8%–93.9%)",
      `Average win ${usd(avgWin)}, average loss ${usd(Math.abs(lost))}, reward-to-risk ${Math.round(rr * 100) / 100}`,
      `Expectancy ${usd((won1 + won2 + lost) / 3)} per trade = ${Math.round(((2 / 3) * rr - 1 / 3) * 100) / 100}R`,
      // 0.58 × 1.47 − 0.42 = 0.4326
      "Baseline (the seed's published backtest, 847 trades): win rate 58%, reward-to-risk 1.47, expectancy 0.43R per trade (R = the average loss).",
      "Too few trades to compare: 3 closed this month; at least 30 are needed before a month's win rate says anything against the baseline.",
      "No backtest baseline is stored in the database yet; the published one above is the comparison.",
    ]);
  });

  it("/pnl [period] counts the trades closed in that window, each net result once, fees and funding shown inside it", async () => {
    const { app, say, setNow } = await setup();
    const old = await roundTrip(app, setNow, Date.UTC(2026, 1, 1, 0), 0.59); // closes Feb 1, 01:00
    const recent = await roundTrip(app, setNow, Date.UTC(2026, 1, 9, 0), 0.606); // closes Feb 9, 01:00
    setNow(Date.UTC(2026, 1, 10, 0));
    const usd = (x: number) => `${x < 0 ? "-" : ""}${Math.abs(x).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })} USDT`;
    const closedLine = (text: string, prefix: string) => text.split("\n").find((l) => l.startsWith(prefix));
    const week = (await say(viewer, "pnl", "WEEK")).text;
    expect(closedLine(week, "Closed in the last 7 days:")).toMatch(new RegExp(`^Closed in the last 7 days: ${usd(recent).replace(/[.]/g, "\\.")} net \\(fees `));
    expect(closedLine(week, "Closed trades in the last 7 days:")).toMatch(/^Closed trades in the last 7 days: 1, win rate 0%/);
    const all = (await say(viewer, "pnl")).text;
    expect(closedLine(all, "Closed trades:")).toMatch(/^Closed trades: 2, win rate 50%/);
    expect(all).toContain(`Closed trades ${usd(old + recent)}, open positions 0.00 USDT`);
    // The fees inside the week's net are that trade's own, not added again.
    const row = await app.db.position.findFirstOrThrow({ where: { status: "closed" }, orderBy: { exitTs: "desc" } });
    expect(closedLine(week, "Closed in the last 7 days:")).toContain(`fees ${usd(Number(row.feesPaid))}`);
    expect((await say(viewer, "pnl", "day")).text).toContain("Closed trades in the last 24 hours: 1,");
    setNow(Date.UTC(2026, 1, 10, 2)); // 25 hours after the last close
    expect((await say(viewer, "pnl", "day")).text).toContain("Closed trades in the last 24 hours: none.");
    expect((await say(viewer, "pnl", "year")).text).toBe("Usage: /pnl [day|week|month|all] — trades closed in the last 24 h, 7 days, 30 days or all time (default)");
  });

  it("with no trade this month says there is nothing to compare", async () => {
    const { say } = await setup();
    expect((await say(viewer, "report")).text).toMatch(/^January 2026 so far[^\n]*\nNo trades closed this month yet: nothing to compare\.\nBaseline \(the seed's published backtest, 847 trades\)/);
    expect((await say(viewer, "report", "june")).text).toBe("Usage: /report (no arguments)");
  });
});
