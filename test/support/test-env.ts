import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import pino from "pino";
import { afterEach } from "vitest";
import type { App, AppSettings, Notice } from "../../src/app/context";
import { DEFAULT_RISK_PARAMS } from "../../src/core/risk/sizing";
import { DEFAULT_ENGINE_PARAMS } from "../../src/core/signals/engine";
import { openDatabase, type Db } from "../../src/store/database";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** A fresh SQLite file, migrated the way the program does it, deleted by `cleanup`. */
export async function tempDatabase(): Promise<{ db: Db; file: string; cleanup: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), "perpbot-test-"));
  const file = path.join(dir, "test.db");
  const db = await openDatabase(`file:${file}`);
  return { db, file, cleanup: async () => { await db.$disconnect(); rmSync(dir, { recursive: true, force: true }); } };
}

/** A queue prefix no other test uses, so tests share one Redis without seeing each other's jobs. */
export const freshPrefix = (): string => `t${randomBytes(5).toString("hex")}`;

export const newRedis = (): Redis => new Redis(REDIS_URL, { maxRetriesPerRequest: null });

export const silentLogger = pino({ level: "silent" });

export function testSettings(overrides: Partial<AppSettings> = {}): AppSettings {
  return {
    symbols: ["MNT/USDT:USDT"],
    venues: ["bybit"],
    tradingVenue: "bybit",
    pollIntervalMinutes: 15,
    startingEquity: 10_000,
    proposalTtlMinutes: 30,
    takerFeeBps: 5.5,
    slippageBps: 2,
    fundingAlertMinutes: 30,
    risk: DEFAULT_RISK_PARAMS,
    engine: DEFAULT_ENGINE_PARAMS,
    allowedUsers: { telegram: ["111"], discord: ["222"] },
    ...overrides,
  };
}

export interface RecordingAppOptions { now?: number; settings?: Partial<AppSettings> }
export interface RecordingApp {
  app: App; executions: string[]; notices: Notice[]; reviews: string[]; setNow: (t: number) => void; cleanup: () => Promise<void>;
}

/** An App on a temp database whose queue side effects are recorded instead of sent (unit-level use cases). */
export async function recordingApp(options: RecordingAppOptions = {}): Promise<RecordingApp> {
  const { db, cleanup } = await tempDatabase();
  let now = options.now ?? Date.UTC(2026, 0, 5, 0, 0, 0);
  const executions: string[] = [];
  const notices: Notice[] = [];
  const reviews: string[] = [];
  const app: App = {
    db, logger: silentLogger, clock: () => now, settings: testSettings(options.settings),
    enqueueExecution: (id) => { executions.push(id); return Promise.resolve(); },
    notify: (n) => { notices.push(n); return Promise.resolve(); },
    requestModelReview: (reason) => { reviews.push(reason); return Promise.resolve(); },
  };
  return { app, executions, notices, reviews, setNow: (t) => { now = t; }, cleanup };
}

/**
 * Call once per test file: returns a `recordingApp` maker whose apps are all cleaned up after
 * each test, so files need not keep their own cleanup list and `afterEach`.
 */
export function useRecordingApps(): (options?: RecordingAppOptions) => Promise<RecordingApp> {
  let cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(cleanups.map((c) => c()));
    cleanups = [];
  });
  return async (options) => {
    const env = await recordingApp(options);
    cleanups.push(env.cleanup);
    return env;
  };
}
