import type { Candle, TimedRate } from "../../core/signals/types";
import { transact, type Db } from "../../store/database";

/**
 * The four history tables the import fills, one row per venue, symbol and stamp (each has
 * @@unique([venue, symbol, ts])), behind one interface: the newest stored stamp (where an import
 * resumes) and an insert that skips what is already there.
 *
 * SQLite has no `createMany({ skipDuplicates })`, and a row-by-row upsert is far too slow for the
 * 73k-row CSV files, so each batch reads the stamps already stored in its span and inserts the
 * rest in one transaction. `transact` re-runs the whole batch when another process (the worker's
 * poll records the same tables) wrote in between, so a concurrent insert never makes it fail or
 * duplicate.
 */
export type HistoryKind = "funding" | "perp" | "spot" | "oi" | "book";

export interface OpenInterestRow { readonly ts: number; readonly amount: number | null; readonly value: number | null }

/** A book reduced to what backtests need (the BookSummary table). */
export interface BookSummaryRow {
  readonly ts: number;
  readonly bestBid: number;
  readonly bestAsk: number;
  readonly bidSize: number;
  readonly askSize: number;
  /** Band in basis points → [bid base size, ask base size] within it. */
  readonly depth: Readonly<Record<string, readonly [number, number]>>;
  /** [side, price, size] */
  readonly walls: readonly (readonly [string, number, number])[];
}

export interface RowOf {
  funding: TimedRate;
  perp: Candle;
  spot: Candle;
  oi: OpenInterestRow;
  book: BookSummaryRow;
}

type TxClient = Parameters<Parameters<Db["$transaction"]>[0]>[0];
type Client = Db | TxClient;

interface Key { readonly venue: string; readonly symbol: string }

/** Rows per transaction: big enough to be fast, small enough that a lock is held briefly. */
const BATCH = 1_000;

function where(key: Key, from?: number, to?: number) {
  return { venue: key.venue, symbol: key.symbol, ...(from === undefined || to === undefined ? {} : { ts: { gte: new Date(from), lte: new Date(to) } }) };
}

async function storedStamps(db: Client, kind: HistoryKind, key: Key, from: number, to: number): Promise<Set<number>> {
  const args = { where: where(key, from, to), select: { ts: true } } as const;
  const rows = kind === "funding" ? await db.fundingPrint.findMany(args)
    : kind === "perp" ? await db.candle.findMany(args)
    : kind === "spot" ? await db.spotCandle.findMany(args)
    : kind === "oi" ? await db.openInterestPrint.findMany(args)
    : await db.bookSummary.findMany(args);
  return new Set(rows.map((r) => r.ts.getTime()));
}

async function insert<K extends HistoryKind>(db: Client, kind: K, key: Key, rows: readonly RowOf[K][]): Promise<number> {
  const base = (ts: number) => ({ venue: key.venue, symbol: key.symbol, ts: new Date(ts) });
  switch (kind) {
    case "funding":
      return (await db.fundingPrint.createMany({ data: (rows as readonly TimedRate[]).map((r) => ({ ...base(r.ts), rate: r.rate })) })).count;
    case "perp":
    case "spot": {
      const data = (rows as readonly Candle[]).map((c) => ({ ...base(c.ts), open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume }));
      return kind === "perp" ? (await db.candle.createMany({ data })).count : (await db.spotCandle.createMany({ data })).count;
    }
    case "oi":
      return (await db.openInterestPrint.createMany({ data: (rows as readonly OpenInterestRow[]).map((r) => ({ ...base(r.ts), amount: r.amount, value: r.value })) })).count;
    default:
      return (await db.bookSummary.createMany({
        data: (rows as readonly BookSummaryRow[]).map((b) => ({
          ...base(b.ts), bestBid: b.bestBid, bestAsk: b.bestAsk, bidSize: b.bidSize, askSize: b.askSize,
          depthJson: JSON.stringify(b.depth), wallsJson: JSON.stringify(b.walls),
        })),
      })).count;
  }
}

/** The newest stamp stored for this venue, symbol and kind, or null when there is none. */
export async function newestStoredTs(db: Db, kind: HistoryKind, venue: string, symbol: string): Promise<number | null> {
  const args = { where: where({ venue, symbol }), orderBy: { ts: "desc" }, select: { ts: true } } as const;
  const row = kind === "funding" ? await db.fundingPrint.findFirst(args)
    : kind === "perp" ? await db.candle.findFirst(args)
    : kind === "spot" ? await db.spotCandle.findFirst(args)
    : kind === "oi" ? await db.openInterestPrint.findFirst(args)
    : await db.bookSummary.findFirst(args);
  return row?.ts.getTime() ?? null;
}

/**
 * Stores the rows that are not there yet and returns how many that was. Rows repeating a stamp
 * within `rows` count once (the first wins), like rows already stored.
 */
export async function storeHistory<K extends HistoryKind>(
  db: Db, kind: K, venue: string, symbol: string, rows: readonly RowOf[K][],
  onBatch?: (done: number, total: number, stored: number) => void,
): Promise<number> {
  const byTs = new Map<number, RowOf[K]>();
  for (const row of rows) if (!byTs.has(row.ts)) byTs.set(row.ts, row);
  const sorted = [...byTs.values()].sort((a, b) => a.ts - b.ts);
  let stored = 0;
  for (let start = 0; start < sorted.length; start += BATCH) {
    const batch = sorted.slice(start, start + BATCH);
    const first = batch[0];
    const last = batch.at(-1);
    if (first === undefined || last === undefined) continue;
    stored += await transact(db, async (tx) => {
      const present = await storedStamps(tx, kind, { venue, symbol }, first.ts, last.ts);
      const fresh = batch.filter((r) => !present.has(r.ts));
      return fresh.length === 0 ? 0 : insert(tx, kind, { venue, symbol }, fresh);
    });
    onBatch?.(start + batch.length, sorted.length, stored);
  }
  return stored;
}
