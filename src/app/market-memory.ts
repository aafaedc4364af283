import type { Candle, TimedRate } from "../core/signals/types";
import { firstAtOrAfter } from "../core/time-order";
import type { Db } from "../store/database";
import { parseBook, SnapshotColumns, type ParsedBook } from "./snapshot-columns";

export { parseBook, type Levels, type ParsedBook, type SnapshotFacts } from "./snapshot-columns";

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

/** Slack kept beyond the plan, so a decision time a little earlier than the newest still reads from memory. */
const SLACK_MS = 6 * 3_600_000;
/** Old rows are let go at most this often (each pass walks every pair). */
const EVICT_EVERY_MS = 3_600_000;
const TABLES = ["snapshots", "prints", "perp", "spot"] as const;
type Table = (typeof TABLES)[number];

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
   *
   * Page by page (PAGE rows, by id), one table after the other: a 100-symbol week is ~650k rows,
   * and Prisma materialising each table at once peaked the process above 1 GB. The first load
   * reads the snapshots without their book JSON (a week of books is hundreds of MB of text, of
   * which the view reads only each pair's newest few); those are read last, for the heads only.
   */
  private async read(from: Record<Table, number>, upTo: Record<Table, number> | null): Promise<void> {
    for (const table of TABLES) {
      let after = upTo === null ? this.lastId[table] : 0;
      for (;;) {
        const where = upTo === null ? { id: { gt: after } } : { id: { gt: after, lte: upTo[table] }, ts: { gte: new Date(from[table]) } };
        const { last, full } = await this.readPage(table, where, from[table], upTo === null);
        if (upTo === null) this.lastId[table] = Math.max(this.lastId[table], last);
        if (!full) break;
        after = last;
      }
    }
    if (upTo !== null) await this.readHeadBooks();
  }

  /** One page of a table into memory: the last id read (0: none), and whether more may follow. */
  private async readPage(table: Table, where: { id: { gt: number; lte?: number }; ts?: { gte: Date } }, from: number, withBooks: boolean): Promise<{ last: number; full: boolean }> {
    const page = { where, orderBy: { id: "asc" as const }, take: PAGE };
    const inside = (ts: Date): boolean => ts.getTime() >= from;
    let rows: readonly { id: number }[];
    if (table === "snapshots") {
      const snapshots = await this.db.marketSnapshot.findMany({ ...page, select: { ...SNAPSHOT_FIELDS, bookJson: withBooks } });
      // Without the JSON, which rows had a book is asked separately (ids only).
      const booked = withBooks ? null : await this.bookedIds(snapshots);
      for (const row of snapshots) {
        if (!inside(row.ts)) continue;
        const hasBook = booked === null ? row.bookJson !== null && row.bookJson !== undefined : booked.has(row.id);
        this.addSnapshot(row, hasBook, withBooks ? parseBook(row.bookJson ?? null) : null);
      }
      rows = snapshots;
    } else if (table === "prints") {
      const prints = await this.db.fundingPrint.findMany(page);
      for (const row of prints) if (inside(row.ts)) insertByTs(this.pairFor(row.venue, row.symbol).prints, { ts: row.ts.getTime(), rate: row.rate });
      rows = prints;
    } else {
      const bars = table === "perp" ? await this.db.candle.findMany(page) : await this.db.spotCandle.findMany(page);
      for (const row of bars) if (inside(row.ts)) insertByTs(this.pairFor(row.venue, row.symbol)[table], candleOf(row));
      rows = bars;
    }
    return { last: lastIdOf(rows), full: rows.length === PAGE };
  }

  private async bookedIds(rows: readonly { id: number }[]): Promise<Set<number>> {
    const first = rows[0]?.id;
    const last = rows.at(-1)?.id;
    if (first === undefined || last === undefined) return new Set();
    const booked = await this.db.marketSnapshot.findMany({ where: { id: { gte: first, lte: last }, bookJson: { not: null } }, select: { id: true } });
    return new Set(booked.map((r) => r.id));
  }

  /** The book levels of every pair's held heads (the first load read the snapshots without them). */
  private async readHeadBooks(): Promise<void> {
    const owners = new Map<number, SnapshotColumns>();
    for (const pair of this.pairs.values()) for (const id of pair.snapshots.headsWithoutLevels()) owners.set(id, pair.snapshots);
    const ids = [...owners.keys()];
    for (let i = 0; i < ids.length; i += BOOK_PAGE) {
      const rows = await this.db.marketSnapshot.findMany({ where: { id: { in: ids.slice(i, i + BOOK_PAGE) } }, select: { id: true, bookJson: true } });
      for (const row of rows) owners.get(row.id)?.setBook(row.id, parseBook(row.bookJson));
    }
  }

  private addSnapshot(row: SnapshotRow, hasBook: boolean, book: ParsedBook | null): void {
    this.pairFor(row.venue, row.symbol).snapshots.insert({
      id: row.id, ts: row.ts.getTime(), fundingRate: row.fundingRate, fundingIntervalHours: row.fundingIntervalHours, markPrice: row.markPrice,
      lastPrice: row.lastPrice, baseVolume24h: row.baseVolume24h, hasBook, book,
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

/** Rows per read: bounds what one query materialises (a row is ~1 kB on its way through Prisma). */
const PAGE = 5_000;
/** Ids per look-up of the heads' books. */
const BOOK_PAGE = 500;
const SNAPSHOT_FIELDS = {
  id: true, venue: true, symbol: true, ts: true, fundingRate: true, fundingIntervalHours: true, markPrice: true, lastPrice: true, baseVolume24h: true,
} as const;
interface SnapshotRow {
  readonly id: number; readonly venue: string; readonly symbol: string; readonly ts: Date; readonly fundingRate: number | null; readonly fundingIntervalHours: number | null;
  readonly markPrice: number | null; readonly lastPrice: number | null; readonly baseVolume24h: number | null;
}

const EMPTY = new PairMemory("");
const key = (venue: string, symbol: string): string => `${venue}\u0000${symbol}`;
const lastIdOf = (rows: readonly { id: number }[]): number => rows.at(-1)?.id ?? 0;
const candleOf = (r: { ts: Date; open: number; high: number; low: number; close: number; volume: number }): Candle => ({
  ts: r.ts.getTime(), open: r.open, high: r.high, low: r.low, close: r.close, volume: r.volume,
});

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
