import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import Database from "better-sqlite3";
import pino from "pino";
import type { App, AppSettings } from "../src/app/context";
import { engineParamsAt } from "../src/app/active-weights";
import { computeSignals } from "../src/app/compute-signals";
import { loadMarketViews } from "../src/app/market-view";
import { sendText } from "../src/app/send-text";
import { volatilityRegime } from "../src/core/risk/volatility-regime";
import { computeSignal } from "../src/core/signals/engine";
import type { SymbolMarketView } from "../src/core/signals/types";
import { createPaperBroker } from "../src/exchange/paper-broker";
import type { MarketDataSource } from "../src/exchange/market-data";
import { MarketSimulator } from "../src/sim/market-simulator";
import { openDatabase, type Db } from "../src/store/database";
import { readIntents } from "../src/store/outbox";
import { distribution, settings as baseSettings, type Distribution } from "./approve-fill";

/**
 * Issue 8 point 10, compute side: one signals cycle for 100 symbols × 4 venues, network excluded —
 * from the moment the last venue's data is stored to the moment the last proposal card is queued
 * (its intent committed in the outbox and handed to `dispatch`, here a recorder). The database is
 * a temp SQLite file migrated by the app's own opener, holding a week of recorded market data as
 * the poll stores it: a snapshot every 15 minutes per venue and symbol (funding, prices, perp and
 * spot volumes, open interest; the full book JSON on the last 8 polls — older books are pruned to
 * summaries after BOOK_RETENTION_DAYS anyway and are never read by the view), the settled funding
 * prints, 32 days of hourly perp bars (what a month of polling holds: the volatility regime reads
 * them) and 8 of spot bars (the volume divergence's week), and the
 * open-interest prints. The data comes from the market simulator, ten seeds per venue set; two of
 * the ten are mid-way through their crowded-long episode at decision time (funding spike, asks
 * piling up, spot share falling), so 20 symbols carry a funding anomaly and proposals fire.
 * The timed call is `computeSignals` — what jobs/compute-signals.ts runs after a poll — until its
 * last card is handed to the queue (the quiet decisions are journaled after that). Between
 * runs the signals, proposals and intents it wrote are deleted (untimed), so every run does the
 * same work. Baseline in the same run: the pure engine (computeSignal + volatility regime) on the
 * same views preloaded in memory, so the ratio shows what the reads and writes cost.
 */

const HOUR = 3_600_000;
const STEP = 15 * 60_000;
const SEEDS = 10;
const BOOK_POLLS = 8;
const PERP_BAR_DAYS = 32;
export const CYCLE_SYMBOLS = 100;
export const CYCLE_VENUES = ["bybit", "binanceusdm", "okx", "bitget"] as const;

export interface CycleResult {
  readonly symbols: number;
  readonly venues: number;
  readonly rows: number;
  readonly seedMs: number;
  readonly dbBytes: number;
  readonly runs: number;
  /** Data stored → last card queued. */
  readonly cycle: Distribution;
  /** The whole computeSignals call (the quiet decisions journaled after the cards). */
  readonly whole: Distribution;
  readonly cold: number;
  /** Resident memory before the cold cycle and its peak during it (VmHWM, reset first; null where /proc does not allow it). */
  readonly coldRss: { readonly before: number; readonly peak: number | null; readonly after: number };
  readonly engine: Distribution;
  /** The read phase alone; null when not measured (QUICK). */
  readonly reads: Distribution | null;
  readonly fired: number;
  readonly proposals: number;
  readonly cards: number;
}

const symbolName = (i: number): string => `C${String(i).padStart(3, "0")}/USDT:USDT`;

type Row = Record<string, unknown>;

interface Tables {
  snapshots: Row[];
  funding: Row[];
  perp: Row[];
  spot: Row[];
  oi: Row[];
}

/** One simulator's week for one venue and symbol, as record-market would have stored it poll after poll. */
async function weekOf(source: MarketDataSource, venue: string, symbol: string, now: number, clock: { t: number }, out: Tables): Promise<void> {
  const from = now - 7 * 24 * HOUR;
  const firstPoll = Math.ceil(from / STEP) * STEP + 20_000;
  for (let t = firstPoll; t <= now - 30_000; t += STEP) {
    clock.t = t;
    const [funding, ticker, spot, oi] = await Promise.all([source.fetchFunding(symbol), source.fetchTicker(symbol), source.fetchSpotTicker(symbol), source.fetchOpenInterest(symbol)]);
    const withBook = t > now - BOOK_POLLS * STEP;
    const book = withBook ? await source.fetchOrderBook(symbol, 20) : null;
    out.snapshots.push({
      venue, symbol, ts: new Date(t), fundingRate: funding.rate, nextFundingTs: funding.nextFundingTs === null ? null : new Date(funding.nextFundingTs),
      fundingIntervalHours: funding.intervalHours, markPrice: funding.markPrice ?? ticker.last, indexPrice: funding.indexPrice, lastPrice: ticker.last,
      bid: book?.bids[0]?.[0] ?? ticker.bid, ask: book?.asks[0]?.[0] ?? ticker.ask, baseVolume24h: ticker.baseVolume24h, quoteVolume24h: ticker.quoteVolume24h,
      bookJson: book === null ? null : JSON.stringify({ bids: book.bids, asks: book.asks }),
      spotLastPrice: spot?.last ?? null, spotBaseVolume24h: spot?.baseVolume24h ?? null, spotQuoteVolume24h: spot?.quoteVolume24h ?? null,
      openInterest: oi?.amount ?? null, openInterestValue: oi?.value ?? null,
    });
    if (oi !== null) out.oi.push({ venue, symbol, ts: new Date(t), amount: oi.amount, value: oi.value });
  }
  clock.t = now;
  for (const p of await source.fetchFundingHistory(symbol, from - HOUR, now)) out.funding.push({ venue, symbol, ts: new Date(p.ts), rate: p.rate });
  // A month of perp bars, as a poll that has run for a month holds (the regime reads 32 days);
  // spot bars for the volume divergence's week and a day.
  for (const c of await source.fetchPerpCandles(symbol, now - PERP_BAR_DAYS * 24 * HOUR)) out.perp.push({ venue, symbol, ts: new Date(c.ts), open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume });
  for (const c of await source.fetchSpotCandles(symbol, now - 8 * 24 * HOUR)) out.spot.push({ venue, symbol, ts: new Date(c.ts), open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume });
}

/** Prisma's SQLite adapter stores DateTime as ISO text with "+00:00"; the rows are written in that form. */
const sqlValue = (v: unknown): unknown => (v instanceof Date ? v.toISOString().replace("Z", "+00:00") : v);

/** Rows straight into SQLite (one transaction per table): Prisma's createMany manages ~3k rows/s here, far too slow for 700k. */
function insertRows(raw: Database.Database, table: string, rows: readonly Row[]): void {
  const first = rows[0];
  if (first === undefined) return;
  const columns = Object.keys(first);
  const insert = raw.prepare(`INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`);
  raw.transaction(() => {
    for (const row of rows) insert.run(...columns.map((c) => sqlValue(row[c])));
  })();
}

/** Fills a migrated database file with the week described above; returns the rows written. */
export async function seed(file: string, now: number): Promise<number> {
  const clock = { t: now };
  const start = Math.floor(now / HOUR) * HOUR;
  // Seeds 0 and 1 are in their episode now (it began 5 and 7 hours ago, lasts 10); the others' lies weeks ahead.
  const sims = Array.from({ length: SEEDS }, (_, k) => new MarketSimulator({
    seed: 100 + k, start, startPrice: 0.5 + k * 3.1, episodeStartHours: k === 0 ? -5 : k === 1 ? -7 : 24 * 30, episodeHours: 10, venues: [...CYCLE_VENUES],
  }));
  let rows = 0;
  const raw = new Database(file);
  raw.pragma("journal_mode = WAL");
  for (let s = 0; s < CYCLE_SYMBOLS; s++) {
    const tables: Tables = { snapshots: [], funding: [], perp: [], spot: [], oi: [] };
    const sim = sims[s % SEEDS]!;
    for (const venue of CYCLE_VENUES) await weekOf(sim.source(venue, () => clock.t), venue, symbolName(s), now, clock, tables);
    insertRows(raw, "MarketSnapshot", tables.snapshots);
    insertRows(raw, "FundingPrint", tables.funding);
    insertRows(raw, "Candle", tables.perp);
    insertRows(raw, "SpotCandle", tables.spot);
    insertRows(raw, "OpenInterestPrint", tables.oi);
    rows += tables.snapshots.length + tables.funding.length + tables.perp.length + tables.spot.length + tables.oi.length;
  }
  raw.exec("ANALYZE");
  raw.close();
  return rows;
}

interface Recorder { cards: number; dispatched: number; lastCardAt: number }

function benchApp(db: Db, now: number, recorder: Recorder): App {
  const settings: AppSettings = {
    ...baseSettings(), symbols: Array.from({ length: CYCLE_SYMBOLS }, (_, i) => symbolName(i)), venues: [...CYCLE_VENUES], tradingVenue: "bybit", startingEquity: 10_000_000,
  };
  const clock = (): number => now;
  const app: App = {
    db, logger: pino({ level: "silent" }), clock, settings,
    broker: createPaperBroker({ db, takerFeeBps: settings.takerFeeBps, slippageBps: settings.slippageBps, clock }),
    // The queue's hand-off is recorded, not sent: the intents are real outbox rows, read back like the dispatcher does.
    dispatch: async (ids) => {
      for (const stored of await readIntents(db, ids)) {
        recorder.dispatched += 1;
        if (stored.intent.kind === "card") {
          recorder.cards += 1;
          recorder.lastCardAt = performance.now();
        }
      }
    },
    notify: async (n) => {
      if (n.kind === "text") await sendText(app, `note-${recorder.dispatched}`, n.text, n.event ?? "system");
    },
  };
  return app;
}

/**
 * The proposals and their intents go, so every run proposes the same 20 trades again. The journal
 * keeps its signals, as it does in a running bot: deleting them would make every run take the
 * path of a worker that finds someone else's signals (the previous decisions read again).
 */
async function clearCycle(db: Db): Promise<void> {
  await db.intent.deleteMany({});
  await db.proposal.deleteMany({});
}

/** Resets this process's peak resident set (Linux: "5" into /proc/self/clear_refs); false where not allowed. */
function resetPeakRss(): boolean {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

function peakRss(): number | null {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"));
    return m?.[1] === undefined ? null : Number(m[1]) * 1024;
  } catch {
    return null;
  }
}

export async function benchMarketCycle(options: { runs: number; readRuns: number }): Promise<CycleResult> {
  const dir = mkdtempSync(path.join(tmpdir(), "perpbot-bench-cycle-"));
  const file = path.join(dir, "cycle.db");
  // Migrated by the app's opener, filled directly, then opened again the way the program opens it.
  await (await openDatabase(`file:${file}`)).$disconnect();
  // Decision time: 40 s after the poll at :45 (its data the newest; the last venue's data just stored).
  const now = Math.floor(Date.UTC(2026, 10, 20, 12) / HOUR) * HOUR + 45 * 60_000 + 40_000;
  const t0 = performance.now();
  const rows = await seed(file, now - 20_000);
  const seedMs = performance.now() - t0;
  const db = await openDatabase(`file:${file}`);
  try {
    const recorder: Recorder = { cards: 0, dispatched: 0, lastCardAt: 0 };
    const app = benchApp(db, now, recorder);

    const timed: number[] = [];
    const whole: number[] = [];
    let cold = 0;
    let fired = 0;
    let proposals = 0;
    let cards = 0;
    let coldRss: CycleResult["coldRss"] = { before: 0, peak: null, after: 0 };
    for (let run = 0; run <= options.runs; run++) {
      await clearCycle(db);
      let peakReset = false;
      if (run === 0) {
        coldRss = { ...coldRss, before: process.memoryUsage().rss };
        peakReset = resetPeakRss();
      }
      recorder.cards = 0;
      recorder.lastCardAt = 0;
      const start = performance.now();
      const outcomes = await computeSignals(app);
      const end = performance.now();
      // The goal's span: from the data being there to the last card handed to the queue. The
      // cycle then journals its quiet decisions; the whole call is reported beside it.
      const ms = (recorder.lastCardAt > 0 ? recorder.lastCardAt : end) - start;
      if (run === 0) {
        cold = ms;
        coldRss = { ...coldRss, peak: peakReset ? peakRss() : null, after: process.memoryUsage().rss };
      }
      else {
        timed.push(ms);
        whole.push(end - start);
      }
      fired = outcomes.filter((o) => o.decision.fired).length;
      proposals = outcomes.filter((o) => o.proposalId !== null).length;
      cards = recorder.cards;
    }

    // Baseline: the same views and parameters in memory, the engine and the regime only.
    // The read phase alone (every symbol's view, concurrently, as computeSignals reads them).
    const params = await engineParamsAt(app, now);
    let views: SymbolMarketView[] = await loadMarketViews(app, app.settings.symbols, now);
    const reads: number[] = [];
    for (let run = 0; run < options.readRuns; run++) {
      const start = performance.now();
      views = await loadMarketViews(app, app.settings.symbols, now);
      reads.push(performance.now() - start);
    }
    const engineRuns: number[] = [];
    for (let run = 0; run <= options.runs * 3; run++) {
      const start = performance.now();
      for (const view of views) {
        computeSignal(view, params);
        volatilityRegime(view.venues.find((v) => v.venue === "bybit")?.perpCandles ?? [], now);
      }
      if (run > 0) engineRuns.push(performance.now() - start);
    }
    const { size } = statSync(file);
    return {
      symbols: CYCLE_SYMBOLS, venues: CYCLE_VENUES.length, rows, seedMs, dbBytes: size, runs: options.runs,
      cycle: distribution(timed), whole: distribution(whole), cold, coldRss, engine: distribution(engineRuns), reads: reads.length === 0 ? null : distribution(reads), fired, proposals, cards,
    };
  } finally {
    await db.$disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}
