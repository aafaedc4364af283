/**
 * One racing "process" for multi-process-guards.test.ts: `node --import tsx guard-racer.ts <json>`.
 * It opens its own Prisma client on the shared database and, for each round, waits for the
 * round's start time (the same wall-clock instant in every racer) and then runs its operation,
 * so two racers hit the same row at the same moment from two real processes (a connection in a
 * process of its own may wait out a lock; two connections in one process cannot). Prints one JSON
 * line: each round's result or error.
 */
import Decimal from "decimal.js";
import pino from "pino";
import type { App, AppSettings } from "../../src/app/context";
import { approveProposal } from "../../src/app/decide-proposal";
import { pauseTrading } from "../../src/app/pause-trading";
import { proposeTrade } from "../../src/app/propose-trade";
import { applyAccount } from "../../src/app/trading-state";
import { createPaperBroker } from "../../src/exchange/paper-broker";
import { openDatabase } from "../../src/store/database";

export interface RacerOrder {
  readonly url: string;
  readonly settings: AppSettings;
  readonly now: number;
  readonly name: string;
  readonly op: "propose" | "approve" | "pause" | "mark";
  /** Per round: a symbol (propose), a proposal id (approve), a peak equity (mark) or a reason (pause). */
  readonly rounds: readonly string[];
  readonly startAt: number;
  readonly stepMs: number;
}

const order = JSON.parse(process.argv[2] ?? "{}") as RacerOrder;
const db = await openDatabase(order.url);
const clock = (): number => order.now;
const app: App = {
  db, clock, settings: order.settings, logger: pino({ level: "silent" }), dispatch: () => Promise.resolve(), notify: () => Promise.resolve(),
  broker: createPaperBroker({ db, takerFeeBps: order.settings.takerFeeBps, slippageBps: order.settings.slippageBps, clock }),
};
const actor = { platform: "telegram" as const, userId: "111", displayName: order.name };

async function run(arg: string): Promise<unknown> {
  switch (order.op) {
    case "propose": {
      const venueView = { price: 0.6, funding: { current: { ts: order.now, rate: 0.0005 }, intervalHours: 8, history: [] } };
      return proposeTrade(app, { id: `${order.name}-${arg}`.replace(/[^a-z0-9-]/gi, ""), symbol: arg, side: "short", horizonHours: 8, signalId: null, now: order.now, regime: "normal", venueView });
    }
    case "approve": return (await approveProposal(app, arg, actor)).status;
    case "pause": return pauseTrading(app, actor, arg);
    case "mark": return (await applyAccount(app, { kind: "equity", equity: new Decimal(arg) })).state.peakEquity;
  }
}

const results: { ok: boolean; value: unknown }[] = [];
for (const [k, arg] of order.rounds.entries()) {
  const at = order.startAt + k * order.stepMs;
  while (Date.now() < at) await new Promise((r) => setTimeout(r, Math.min(5, at - Date.now())));
  try {
    results.push({ ok: true, value: await run(arg) });
  } catch (error) {
    results.push({ ok: false, value: error instanceof Error ? error.message : String(error) });
  }
}
await db.$disconnect();
process.stdout.write(`${JSON.stringify(results)}\n`);
