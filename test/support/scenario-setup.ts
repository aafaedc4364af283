import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ExchangeServer } from "../stand-ins/exchange-server";
import type { TestUser } from "../stand-ins/telegram-server";
import { killAllProcesses } from "./child-processes";
import { realFundingWeek } from "./real-data";
import { startPrivateRedis } from "./private-redis";
import { describeExit, spawnRole } from "./role-process";

/**
 * What every crash scenario starts from (see `scenario.ts`): the desk, the user and the symbol,
 * the funding anomaly the exchange stand-in serves, and the migrated template database with its
 * cleanup. Kept apart from `scenario.ts` only to stay under the house file-size limit; the
 * template is module state, made once per test file.
 */

export const SYMBOL = "BTC/USDT:USDT";
export const DESK_CHAT = -100500;
export const ALICE: TestUser = { id: 111, first_name: "Alice" };
const HOUR = 3_600_000;

/**
 * The funding anomaly the end-to-end and crash tests serve: a calm week of real Binance BTC
 * funding prints moved onto the 8 h grid just before now, then 0.15% per 8 h right now, and a
 * book leaning on the bid with an ask wall: funding, walls and book imbalance all say short, so
 * the first poll fires a signal and the bot posts a proposal card.
 */
export function serveFundingAnomaly(exchange: ExchangeServer): void {
  const lastSettlement = Math.floor(Date.now() / (8 * HOUR)) * 8 * HOUR;
  const realEnd = Date.UTC(2023, 11, 31, 16);
  const prints = realFundingWeek(realEnd);
  if (prints.length !== 21) throw new Error(`expected 21 real funding prints in the last week of 2023, found ${prints.length}`);
  exchange.setFundingHistory("bybit", SYMBOL, prints.map((p) => ({ ts: p.ts - realEnd + lastSettlement, rate: p.rate })));
  exchange.setCurrentFunding("bybit", SYMBOL, { rate: 0.0015, nextFundingTs: lastSettlement + 8 * HOUR, intervalHours: 8, markPrice: 42_000 });
  exchange.setTicker("bybit", SYMBOL, { last: 42_000, bid: 41_999.5, ask: 42_000.5, baseVolume24h: 80_000, quoteVolume24h: 3.36e9 });
  // Sellers lean on the book: twenty 1-BTC bids against asks with a 50-BTC wall 0.01% up. With
  // the funding anomaly that is three streams (funding, walls, book imbalance) saying short.
  exchange.setBook("bybit", SYMBOL, {
    bids: Array.from({ length: 20 }, (_, i) => [41_999.5 - i, 1] as const),
    asks: Array.from({ length: 20 }, (_, i) => [42_000.5 + i, i === 4 ? 50 : 1] as const),
  });
}

/** The smallest POLL_INTERVAL_MINUTES the tests use (src/config.ts only requires > 0): 3 s. */
export const FAST_POLL_MINUTES = "0.05";

let template: Promise<string> | null = null;
let templateDir: string | null = null;

/** For afterAll: SIGKILLs every process still running and removes the template database. */
export async function cleanupHarness(): Promise<void> {
  await killAllProcesses();
  if (templateDir !== null) rmSync(templateDir, { recursive: true, force: true });
  templateDir = null;
  template = null;
}

/**
 * A SQLite file migrated by the program itself (a `web` process started once and stopped
 * cleanly), copied into each scenario: roles started together on a brand-new file would race
 * to apply the migrations. Made once per test file; removed by `cleanupHarness()`.
 */
export function migratedTemplate(): Promise<string> {
  template ??= (async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "perpbot-template-"));
    templateDir = dir;
    const file = path.join(dir, "template.db");
    const redis = await startPrivateRedis();
    const web = spawnRole("web", {
      DATABASE_URL: `file:${file}`, REDIS_URL: redis.url, REDIS_AUTOSTART: "false", QUEUE_PREFIX: "template", PORT: "0", LOG_FORMAT: "json",
      EXCHANGE_HOST_OVERRIDE: "http://127.0.0.1:9", VENUES: "bybit", TRADING_VENUE: "bybit", SYMBOLS: SYMBOL,
    }, { name: "template-web" });
    try {
      await web.waitForOutput(/perpbot started/, 60_000);
      const exit = await web.stop();
      if (exit.code !== 0) throw new Error(`exited with ${describeExit(exit)}`);
    } catch (error) {
      await web.kill("SIGKILL");
      throw new Error(`could not make the migrated template database: ${error instanceof Error ? error.message : String(error)}\n${web.output()}`);
    } finally {
      await redis.stop();
    }
    return file;
  })();
  return template;
}
