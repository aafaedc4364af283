import type { AsyncLocalStorage } from "node:async_hooks";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import type { AppSettings } from "../../src/app/context";
import type { Broker } from "../../src/exchange/broker";
import { settingsFromConfig } from "../../src/app/settings-from-config";
import { loadConfig } from "../../src/config";
import { setCrashHandler } from "../../src/crash-points";
import { startRuntime, type Runtime } from "../../src/runtime";
import { openDatabase, type Db } from "../../src/store/database";
import type { PrivateRedis } from "./private-redis";
import { RecordingTransport, type ChatPlatform } from "./recording-transport";
import { SimulatedCrash, type PathPoint, type Token } from "./simulated-crash";
import { sleep } from "./sleep";

export interface Proc {
  readonly n: number;
  dead: boolean;
  readonly raw: Db;
  readonly redis: Redis;
  runtime: Runtime | null;
  /** Live mode: closes this process's own path to the venue (after it stopped). */
  closeVenue: () => Promise<void>;
}

export function settings(): AppSettings {
  // The defaults a user gets, on one venue and symbol, with equity large enough never to run out.
  return { ...settingsFromConfig(loadConfig({})), symbols: ["MNT/USDT:USDT"], venues: ["bybit"], tradingVenue: "bybit", startingEquity: 10_000_000 };
}

/** Every query of a dead process fails, before or after it runs: nothing it does lands once it died. */
function fenced(raw: Db, proc: () => Proc): Db {
  const extended = raw.$extends({
    query: {
      async $allOperations({ args, query }) {
        if (proc().dead) throw new SimulatedCrash("the process is dead (db)");
        const result: unknown = await query(args);
        if (proc().dead) throw new SimulatedCrash("the process is dead (db)");
        return result;
      },
    },
  });
  return extended as unknown as Db;
}

export interface ProcessesOptions {
  readonly fence: boolean;
  readonly dbFile: string;
  readonly redisServer: PrivateRedis;
  readonly chat: ChatPlatform;
  readonly context: AsyncLocalStorage<Proc>;
  readonly logger: Logger;
  readonly appSettings: AppSettings;
  /** The armed crash points of the approvals in flight; the crash handler marks the one it fires. */
  readonly tokens: Token[];
  /** The crash points the handler counts (the approvals draw from them). */
  readonly points: readonly PathPoint[];
  /** Live mode: each process's broker (the paper venue when absent), and how to close its path to the venue. */
  readonly broker?: (proc: Proc) => Promise<{ broker: Broker; close: () => Promise<void> }>;
  /** Milliseconds between reconciler passes (150 unless given). */
  readonly reconcileIntervalMs?: number;
}

/** The simulated processes, one after another: the live one, the restart in progress, and what happened to them. */
export interface Processes {
  readonly current: Proc;
  readonly restarting: Promise<void> | null;
  readonly crashes: ReadonlyMap<string, number>;
  readonly restarts: number;
  readonly slowStops: number;
  readonly zombieCalls: number;
  readonly restartMs: number[];
  /** The current process once it is alive (waits out a restart). */
  live(): Promise<Proc>;
}

/** Installs the crash handler and starts the first process. */
export async function startProcesses(options: ProcessesOptions): Promise<Processes> {
  const { dbFile, redisServer, chat, context, logger, appSettings, tokens } = options;
  const crashes = new Map<string, number>(options.points.map((p) => [p, 0]));
  let zombieCalls = 0;
  let restarts = 0;
  let slowStops = 0;
  const restartMs: number[] = [];

  let generation = 0;
  let current: Proc;
  let restarting: Promise<void> | null = null;

  async function startProc(): Promise<Proc> {
    generation += 1;
    const raw = await openDatabase(`file:${dbFile}`);
    const redis = new Redis(redisServer.url, { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(times * 20, 200) });
    redis.on("error", () => undefined);
    const proc: Proc = { n: generation, dead: false, raw, redis, runtime: null, closeVenue: () => Promise.resolve() };
    const db = options.fence ? fenced(raw, () => proc) : raw;
    const transport = new RecordingTransport(chat, () => !options.fence || !proc.dead);
    const venue = options.broker === undefined ? null : await options.broker(proc);
    if (venue !== null) proc.closeVenue = venue.close;
    proc.runtime = await context.run(proc, () => startRuntime({
      roles: ["worker", "bot"], db, logger, settings: appSettings, redis, queuePrefix: "chaos", sources: [], transports: [transport], schedule: false,
      reconcileIntervalMs: options.reconcileIntervalMs ?? 150, reconcileGraceMs: 50, lock: { lockDuration: 2000, stalledInterval: 500 },
      ...(venue === null ? {} : { broker: venue.broker }),
    }));
    return proc;
  }

  /** The process dies (already marked dead); a new one starts on the same database and Redis. */
  function restart(dead: Proc): Promise<void> {
    if (restarting) return restarting;
    restarting = (async () => {
      restarts += 1;
      const r0 = Date.now();
      const stopping = dead.runtime?.stop() ?? Promise.resolve();
      const stopped = await Promise.race([stopping.then(() => true, () => true), sleep(15_000).then(() => false)]);
      if (!stopped) slowStops += 1;
      dead.redis.disconnect();
      await dead.raw.$disconnect().catch(() => undefined);
      await dead.closeVenue().catch(() => undefined);
      current = await startProc();
      restartMs.push(Date.now() - r0);
    })().finally(() => { restarting = null; });
    return restarting;
  }

  setCrashHandler((point) => {
    const proc = context.getStore() ?? current;
    if (proc.dead || proc !== current) {
      zombieCalls += 1;
      throw new SimulatedCrash(`crash point ${point} reached by a dead process`);
    }
    const token = tokens.find((t) => !t.hit && t.point === point);
    if (token === undefined) return;
    token.hit = true;
    crashes.set(point, (crashes.get(point) ?? 0) + 1);
    proc.dead = true;
    void restart(proc);
    throw new SimulatedCrash(`simulated crash at ${point}`);
  });

  async function live(): Promise<Proc> {
    for (;;) {
      if (restarting) await restarting;
      if (!current.dead) return current;
      await sleep(5);
    }
  }

  current = await startProc();

  return {
    get current() { return current; },
    get restarting() { return restarting; },
    crashes,
    get restarts() { return restarts; },
    get slowStops() { return slowStops; },
    get zombieCalls() { return zombieCalls; },
    restartMs,
    live,
  };
}
