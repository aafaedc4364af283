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
import { readIntents } from "../../src/store/outbox";
import { createPaperBroker } from "../../src/exchange/paper-broker";
import { sendText } from "../../src/app/send-text";
import { dropTestDatabase, freshDatabaseUrl } from "./test-database";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/**
 * A fresh database, migrated the way the program does it, deleted by `cleanup`: a SQLite file, or
 * with PERPBOT_TEST_DATABASE=postgres a PostgreSQL schema (`file` is then only the name it derives from).
 */
export async function tempDatabase(): Promise<{ db: Db; file: string; url: string; cleanup: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), "perpbot-test-"));
  const file = path.join(dir, "test.db");
  const url = freshDatabaseUrl(file);
  const db = await openDatabase(url);
  return {
    db, file, url,
    cleanup: async () => { await db.$disconnect(); await dropTestDatabase(url); rmSync(dir, { recursive: true, force: true }); },
  };
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
    rewardToRisk: 1.5,
    autoExecuteProfiles: [],
    maxPriceDriftFraction: 0.005,
    maxSpreadFraction: 0.002,
    market: { lotSize: 0.001, minQty: 0.001, minNotional: 5, tickSize: 0, maintenanceMarginRate: 0.005 },
    chatRoles: { telegram: { "111": "admin" }, discord: { "222": "admin" } },
    live: { marginMode: "isolated", unknownOrderGiveUpMs: 15 * 60_000, unknownPositions: "report" },
    marketData: { bookDepth: 20, maxDataAgeMs: 30 * 60_000, retentionDays: 730, bookRetentionDays: 3 },
    ...overrides,
  };
}

export interface RecordingAppOptions { now?: number; settings?: Partial<AppSettings> }
export interface RecordingApp {
  app: App;
  /** Proposals whose execute intent was dispatched. */
  executions: string[];
  /** Chat notices (cards and texts) whose intents were dispatched. */
  notices: Notice[];
  /** Model reviews (their reasons) whose intents were dispatched. */
  reviews: string[];
  /** Every intent id dispatched, in order. */
  dispatched: string[];
  setNow: (t: number) => void;
  cleanup: () => Promise<void>;
}

/**
 * An App on a temp database whose dispatched outbox intents are recorded instead of queued
 * (unit-level use cases). The intents themselves are real rows in the outbox.
 */
export async function recordingApp(options: RecordingAppOptions = {}): Promise<RecordingApp> {
  const { db, cleanup } = await tempDatabase();
  let now = options.now ?? Date.UTC(2026, 0, 5, 0, 0, 0);
  const executions: string[] = [];
  const notices: Notice[] = [];
  const reviews: string[] = [];
  const dispatched: string[] = [];
  const settings = testSettings(options.settings);
  const clock = (): number => now;
  const dispatch = async (ids: readonly string[]): Promise<void> => {
    for (const stored of await readIntents(db, ids)) {
      if (stored.status !== "pending" || dispatched.includes(stored.id)) continue;
      dispatched.push(stored.id);
      const intent = stored.intent;
      if (intent.kind === "execute") executions.push(intent.proposalId);
      else if (intent.kind === "card") notices.push({ kind: "card", proposalId: intent.proposalId });
      else if (intent.kind === "text") notices.push({ kind: "text", text: intent.text });
      else if (intent.kind === "model-review") reviews.push(intent.reason);
    }
  };
  const app: App = {
    db, logger: silentLogger, clock, settings, dispatch,
    broker: createPaperBroker({ db, takerFeeBps: settings.takerFeeBps, slippageBps: settings.slippageBps, clock }),
    notify: async (n) => {
      if (n.kind === "text") await sendText(app, `note-${randomBytes(6).toString("hex")}`, n.text, n.event ?? "system");
      else notices.push(n);
    },
  };
  return { app, executions, notices, reviews, dispatched, setNow: (t) => { now = t; }, cleanup };
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
