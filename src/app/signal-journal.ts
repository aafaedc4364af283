import type { Signal as EngineSignal } from "../core/signals/engine";
import { insertRowsReturning } from "../store/bulk-insert";
import type { Db } from "../store/database";
import type { App } from "./context";

/**
 * The signals journal as the cycle uses it: each symbol's previous decision (to alert on the
 * edge only) and one insert for the whole cycle's decisions.
 *
 * The previous decisions are remembered in this process between cycles instead of being read per
 * symbol each time (100 look-ups a cycle). The memory is trusted only while the journal's newest
 * id is the one this process wrote last; any other writer (another worker took the job over, a
 * test cleared the table) and it is read again from the database.
 */
interface Previous { readonly fired: boolean; readonly direction: string }
interface Remembered { lastId: number; readonly bySymbol: Map<string, Previous | null> }

const remembered = new WeakMap<Db, Remembered>();

export async function previousSignals(app: App, symbols: readonly string[]): Promise<ReadonlyMap<string, Previous | null>> {
  const newest = await app.db.signal.findFirst({ orderBy: { id: "desc" }, select: { id: true } });
  const memory = remembered.get(app.db);
  const newestId = newest?.id ?? 0;
  // A copy: the cycle compares against it after journaling its own decisions into the memory.
  if (memory !== undefined && memory.lastId === newestId && symbols.every((s) => memory.bySymbol.has(s))) return new Map(memory.bySymbol);
  const rows = await Promise.all(symbols.map(async (symbol) => [symbol, await app.db.signal.findFirst({
    where: { symbol }, orderBy: { ts: "desc" }, select: { fired: true, direction: true },
  })] as const));
  const fresh: Remembered = { lastId: newestId, bySymbol: new Map(rows) };
  remembered.set(app.db, fresh);
  return new Map(fresh.bySymbol);
}

/** Journals every decision of the cycle in one insert; returns the signal ids in the order of `decisions`. */
export async function journalSignals(app: App, now: number, decisions: readonly { symbol: string; decision: EngineSignal }[]): Promise<number[]> {
  if (decisions.length === 0) return [];
  const memory = remembered.get(app.db);
  const before = await app.db.signal.findFirst({ orderBy: { id: "desc" }, select: { id: true } });
  // One statement, not Prisma's createManyAndReturn: that one's query plan is compiled anew every call (store/bulk-insert.ts).
  const inserted = await insertRowsReturning(app.db, "Signal", decisions.map(({ symbol, decision }) => ({
    symbol, venue: app.settings.tradingVenue, ts: new Date(now), direction: decision.direction, fired: decision.fired,
    score: decision.score, confidence: decision.confidence, horizonHours: decision.horizonHours,
    explanation: decision.explanation, streamsJson: JSON.stringify(decision.streams), modelVersion: decision.modelVersion,
    crossConfirmed: decision.confirmedAcrossExchanges,
  })), ["id", "symbol", "fired", "direction"]);
  // SQLite hands a BOOLEAN column back as 0/1 to a raw query.
  const rows = inserted.map((r) => ({ id: Number(r.id), symbol: String(r.symbol), fired: r.fired === true || r.fired === 1, direction: String(r.direction) }));
  // RETURNING does not promise the order of the rows: they are matched by symbol (one per symbol per cycle).
  const bySymbol = new Map(rows.map((r) => [r.symbol, r.id]));
  const ids = decisions.map(({ symbol }) => {
    const id = bySymbol.get(symbol);
    if (id === undefined) throw new Error(`the journal did not return the signal of ${symbol}`);
    return id;
  });
  // The memory stays good only if nobody else wrote since it was read.
  if (memory !== undefined && memory.lastId === (before?.id ?? 0)) {
    for (const r of rows) memory.bySymbol.set(r.symbol, { fired: r.fired, direction: r.direction });
    memory.lastId = Math.max(memory.lastId, ...rows.map((r) => r.id));
  } else {
    remembered.delete(app.db);
  }
  return ids;
}
