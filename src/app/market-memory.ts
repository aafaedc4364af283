import type { Candle, TimedRate } from "../core/signals/types";
import { firstAtOrAfter, firstStampAtOrAfter } from "../core/time-order";
import type { Db } from "../store/database";

/**
 * The recorded market history the signals cycle reads, held in this process's memory and brought
 * up to date from the database before each read. Reading a week of funding, a month of bars and
 * the latest books for 100 symbols × 4 venues from SQLite took ~5 s a cycle; the memory reads
 * only the rows written since its last look (by id) and answers the same questions in memory.
 *
 * Why ids and not timestamps: a late funding print, a backfilled bar or an imported file is
 * written with an old stamp; it still gets a new id. The rows the poll writes are never updated
 * (their upserts change nothing), and a SQLite database has one writer at a time, so ids become
 * visible in order. Deleted rows are not noticed: the app deletes market rows only by retention,
 * long after this memory let them go. (PostgreSQL, where ids need not commit in order, would need
 * an overlapping re-read: issue 11.)
 *
 * It answers only what it holds: every question says how far back it reaches, and one reaching
 * before what was loaded (or a previous book whose levels it no longer keeps) returns `null`, and
 * the caller reads the database as before. Nothing here knows about `now` beyond that: the
 * caller's filters (nothing at or after `now`) are applied to what it returns.
 */

/** How far back, before the decision time, each table is read. Set by the view (market-view.ts). */
export interface MemoryPlan {
  readonly snapshotsMs: number;
  readonly printsMs: number;
  /** The longest reach of perp bars (the trading venue's month, for the volatility regime). */
  readonly perpBarsMs: number;
  /** Each venue's own reach of perp bars: the other venues' streams read a week and a bit. */
  readonly perpBarsMsOf: (venue: string) => number;
  readonly spotBarsMs: number;
}

export type Levels = [number, number][];
export interface ParsedBook { readonly bids: Levels; readonly asks: Levels }

/** One stored snapshot, the fields the view reads of the latest and the one before it. */
export interface SnapshotFacts {
  readonly id: number;
  readonly ts: number;
  readonly fundingRate: number | null;
  readonly fundingIntervalHours: number | null;
  readonly markPrice: number | null;
  readonly lastPrice: number | null;
  readonly baseVolume24h: number | null;
  readonly hasBook: boolean;
  /** The parsed levels; null when there were none or they were unreadable. */
  readonly book: ParsedBook | null;
}

/** Full facts (book parsed) are kept for this many of a pair's newest snapshots: a view reads the latest and the book before it. */
const HEADS_KEPT = 8;
/** Slack kept beyond the plan, so a decision time a little earlier than the newest still reads from memory. */
const SLACK_MS = 6 * 3_600_000;
/** Old rows are let go at most this often (each pass walks every pair). */
const EVICT_EVERY_MS = 3_600_000;
const TABLES = ["snapshots", "prints", "perp", "spot"] as const;
type Table = (typeof TABLES)[number];

/**
 * A pair's snapshots as columns, oldest first: a week of polls is ~700 snapshots per pair and the
 * view reads of most of them only the stamp, the rate and whether a book came. Columns of plain
 * numbers cost 8 bytes a value; an object per snapshot cost ~150 bytes and ~10 heap objects to
 * the garbage collector. The newest few keep their full facts.
 */
export class SnapshotColumns {
  readonly ts: number[] = [];
  readonly id: number[] = [];
  /** NaN where the snapshot had no rate. */
  readonly rate: number[] = [];
  readonly hasBook: boolean[] = [];
  /** Full facts of the HEADS_KEPT newest, by id. */
  readonly heads = new Map<number, SnapshotFacts>();

  insert(facts: SnapshotFacts): void {
    // After any equal stamp: equal stamps keep the database's id order.
    const at = firstStampAtOrAfter(this.ts, facts.ts + 1e-3);
    if (at === this.ts.length) {
      this.ts.push(facts.ts);
      this.id.push(facts.id);
      this.rate.push(facts.fundingRate ?? Number.NaN);
      this.hasBook.push(facts.hasBook);
    } else {
      this.ts.splice(at, 0, facts.ts);
      this.id.splice(at, 0, facts.id);
      this.rate.splice(at, 0, facts.fundingRate ?? Number.NaN);
      this.hasBook.splice(at, 0, facts.hasBook);
    }
    this.heads.set(facts.id, facts);
    if (this.heads.size > HEADS_KEPT) {
      let oldest: SnapshotFacts | null = null;
      for (const head of this.heads.values()) if (oldest === null || head.ts < oldest.ts || (head.ts === oldest.ts && head.id < oldest.id)) oldest = head;
      if (oldest !== null) this.heads.delete(oldest.id);
    }
  }

  /** The polled readings with a rate stamped in [from, before), oldest first, as the view hands them on. */
  polledBetween(from: number, before: number): TimedRate[] {
    const out: TimedRate[] = [];
    for (let i = firstStampAtOrAfter(this.ts, from), end = firstStampAtOrAfter(this.ts, before); i < end; i++) {
      const rate = this.rate[i] ?? Number.NaN;
      if (!Number.isNaN(rate)) out.push({ ts: this.ts[i] ?? 0, rate });
    }
    return out;
  }

  dropBefore(ts: number): void {
    const cut = firstStampAtOrAfter(this.ts, ts);
    if (cut === 0) return;
    for (const id of this.id.slice(0, cut)) this.heads.delete(id);
    this.ts.splice(0, cut);
    this.id.splice(0, cut);
    this.rate.splice(0, cut);
    this.hasBook.splice(0, cut);
  }
}

class PairMemory {
  constructor(readonly venue: string) {}
  readonly snapshots = new SnapshotColumns();
  /** Settled prints, the venue's own stamps, oldest first. */
  readonly prints: TimedRate[] = [];
  readonly perp: Candle[] = [];
  readonly spot: Candle[] = [];
}

export class MarketMemory {
  private readonly pairs = new Map<string, PairMemory>();
  /** Rows of each table stamped at or after this are all held (null: nothing loaded yet). */
  private readonly coveredFrom: Record<Table, number | null> = { snapshots: null, prints: null, perp: null, spot: null };
  private readonly lastId: Record<Table, number> = { snapshots: 0, prints: 0, perp: 0, spot: 0 };
  /** Perp bars of a venue whose reach is shorter are let go sooner: held from here on. */
  private readonly perpCoveredFrom = new Map<string, number>();
  private lastEviction = 0;
  private refreshing: Promise<void> = Promise.resolve();

  constructor(private readonly db: Db, private readonly plan: MemoryPlan) {}

  /** Brings the memory up to date; concurrent callers share one pass. */
  refresh(now: number): Promise<void> {
    this.refreshing = this.refreshing.then(() => this.catchUp(now), () => this.catchUp(now));
    return this.refreshing;
  }

  /** The pair's memory if every row it needs from `from` on is held; null: read the database. */
  pair(venue: string, symbol: string, table: Table, from: number): PairMemory | null {
    const covered = this.coveredFrom[table];
    if (covered === null || from < covered) return null;
    const venueCovered = table === "perp" ? this.perpCoveredFrom.get(venue) : undefined;
    if (venueCovered !== undefined && from < venueCovered) return null;
    return this.pairs.get(key(venue, symbol)) ?? EMPTY;
  }

  private async catchUp(now: number): Promise<void> {
    if (this.coveredFrom.snapshots === null) await this.load(now);
    else await this.read(this.covered(), null);
    if (now - this.lastEviction >= EVICT_EVERY_MS) this.evict(now);
  }

  /** First load: the ids are fixed first, so rows written meanwhile come in the next pass. */
  private async load(now: number): Promise<void> {
    const [snapshots, prints, perp, spot] = await Promise.all([
      this.db.marketSnapshot.findFirst({ orderBy: { id: "desc" }, select: { id: true } }),
      this.db.fundingPrint.findFirst({ orderBy: { id: "desc" }, select: { id: true } }),
      this.db.candle.findFirst({ orderBy: { id: "desc" }, select: { id: true } }),
      this.db.spotCandle.findFirst({ orderBy: { id: "desc" }, select: { id: true } }),
    ]);
    const upTo: Record<Table, number> = { snapshots: snapshots?.id ?? 0, prints: prints?.id ?? 0, perp: perp?.id ?? 0, spot: spot?.id ?? 0 };
    const from = this.horizons(now);
    await this.read(from, upTo);
    for (const table of TABLES) {
      this.coveredFrom[table] = from[table];
      this.lastId[table] = upTo[table];
    }
    this.evict(now);
  }

  private covered(): Record<Table, number> {
    return { snapshots: this.coveredFrom.snapshots ?? 0, prints: this.coveredFrom.prints ?? 0, perp: this.coveredFrom.perp ?? 0, spot: this.coveredFrom.spot ?? 0 };
  }

  private horizons(now: number): Record<Table, number> {
    return {
      snapshots: now - this.plan.snapshotsMs - SLACK_MS,
      prints: now - this.plan.printsMs - SLACK_MS,
      perp: now - this.plan.perpBarsMs - SLACK_MS,
      spot: now - this.plan.spotBarsMs - SLACK_MS,
    };
  }

  /**
   * Rows stamped at or after `from`: on the first load those with ids up to `upTo`; afterwards
   * every row with an id after the last seen, whatever its stamp (an import of old history is
   * read once and mostly let go: only the stamp tells whether it is inside what is held).
   */
  private async read(from: Record<Table, number>, upTo: Record<Table, number> | null): Promise<void> {
    const where = (table: Table): { id: { gt: number; lte?: number }; ts?: { gte: Date } } =>
      upTo === null ? { id: { gt: this.lastId[table] } } : { id: { gt: 0, lte: upTo[table] }, ts: { gte: new Date(from[table]) } };
    const [snapshots, prints, perp, spot] = await Promise.all([
      this.db.marketSnapshot.findMany({
        where: where("snapshots"),
        select: { id: true, venue: true, symbol: true, ts: true, fundingRate: true, fundingIntervalHours: true, markPrice: true, lastPrice: true, baseVolume24h: true, bookJson: true },
        orderBy: { id: "asc" },
      }),
      this.db.fundingPrint.findMany({ where: where("prints"), orderBy: { id: "asc" } }),
      this.db.candle.findMany({ where: where("perp"), orderBy: { id: "asc" } }),
      this.db.spotCandle.findMany({ where: where("spot"), orderBy: { id: "asc" } }),
    ]);
    const inside = (table: Table, ts: Date): boolean => ts.getTime() >= from[table];
    for (const row of snapshots) if (inside("snapshots", row.ts)) this.addSnapshot(row);
    for (const row of prints) if (inside("prints", row.ts)) insertByTs(this.pairFor(row.venue, row.symbol).prints, { ts: row.ts.getTime(), rate: row.rate });
    for (const row of perp) if (inside("perp", row.ts)) insertByTs(this.pairFor(row.venue, row.symbol).perp, candleOf(row));
    for (const row of spot) if (inside("spot", row.ts)) insertByTs(this.pairFor(row.venue, row.symbol).spot, candleOf(row));
    if (upTo === null) {
      this.lastId.snapshots = Math.max(this.lastId.snapshots, lastIdOf(snapshots));
      this.lastId.prints = Math.max(this.lastId.prints, lastIdOf(prints));
      this.lastId.perp = Math.max(this.lastId.perp, lastIdOf(perp));
      this.lastId.spot = Math.max(this.lastId.spot, lastIdOf(spot));
    }
  }

  private addSnapshot(row: { id: number; venue: string; symbol: string; ts: Date; fundingRate: number | null; fundingIntervalHours: number | null; markPrice: number | null; lastPrice: number | null; baseVolume24h: number | null; bookJson: string | null }): void {
    this.pairFor(row.venue, row.symbol).snapshots.insert({
      id: row.id, ts: row.ts.getTime(), fundingRate: row.fundingRate, fundingIntervalHours: row.fundingIntervalHours, markPrice: row.markPrice,
      lastPrice: row.lastPrice, baseVolume24h: row.baseVolume24h, hasBook: row.bookJson !== null, book: parseBook(row.bookJson),
    });
  }

  private pairFor(venue: string, symbol: string): PairMemory {
    const k = key(venue, symbol);
    let pair = this.pairs.get(k);
    if (pair === undefined) {
      pair = new PairMemory(venue);
      this.pairs.set(k, pair);
    }
    return pair;
  }

  /** Lets go of rows older than any decision from `now` on reads; the coverage moves with them. */
  private evict(now: number): void {
    const from = this.horizons(now);
    for (const table of TABLES) this.coveredFrom[table] = Math.max(this.coveredFrom[table] ?? from[table], from[table]);
    for (const pair of this.pairs.values()) {
      pair.snapshots.dropBefore(from.snapshots);
      dropBefore(pair.prints, from.prints);
      const perpFrom = Math.max(from.perp, now - this.plan.perpBarsMsOf(pair.venue) - SLACK_MS);
      this.perpCoveredFrom.set(pair.venue, Math.max(this.perpCoveredFrom.get(pair.venue) ?? perpFrom, perpFrom));
      dropBefore(pair.perp, this.perpCoveredFrom.get(pair.venue) ?? from.perp);
      dropBefore(pair.spot, from.spot);
    }
    this.lastEviction = now;
  }
}

const EMPTY = new PairMemory("");
const key = (venue: string, symbol: string): string => `${venue}\u0000${symbol}`;
const lastIdOf = (rows: readonly { id: number }[]): number => rows.at(-1)?.id ?? 0;
const candleOf = (r: { ts: Date; open: number; high: number; low: number; close: number; volume: number }): Candle => ({
  ts: r.ts.getTime(), open: r.open, high: r.high, low: r.low, close: r.close, volume: r.volume,
});

/** The stored top of book; null when absent or unreadable. */
export function parseBook(json: string | null): ParsedBook | null {
  if (json === null) return null;
  try {
    const parsed = JSON.parse(json) as { bids?: Levels; asks?: Levels };
    return { bids: parsed.bids ?? [], asks: parsed.asks ?? [] };
  } catch {
    return null;
  }
}

/** Keeps time order; equal stamps keep arrival order (the database's id order). Appending is the usual case. */
function insertByTs<T extends { readonly ts: number }>(items: T[], item: T): void {
  const last = items.at(-1);
  if (last === undefined || last.ts <= item.ts) {
    items.push(item);
    return;
  }
  items.splice(firstAtOrAfter(items, item.ts + 1e-3), 0, item);
}

function dropBefore(items: { readonly ts: number }[], ts: number): void {
  const cut = firstAtOrAfter(items, ts);
  if (cut > 0) items.splice(0, cut);
}

/** One memory per database client: it lives as long as the client and never mixes two databases. */
const memories = new WeakMap<Db, MarketMemory>();

export function marketMemory(db: Db, plan: MemoryPlan): MarketMemory {
  let memory = memories.get(db);
  if (memory === undefined) {
    memory = new MarketMemory(db, plan);
    memories.set(db, memory);
  }
  return memory;
}
