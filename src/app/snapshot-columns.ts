import type { TimedRate } from "../core/signals/types";
import { firstStampAtOrAfter } from "../core/time-order";

/** One pair's snapshots as the market memory (market-memory.ts) holds them. */

/** Full facts (book parsed) are kept for this many of a pair's newest snapshots: a view reads the latest and the book before it. */
const HEADS_KEPT = 8;

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

  /** The heads that had a book whose levels are not read yet (the first load reads them last). */
  headsWithoutLevels(): number[] {
    return [...this.heads.values()].filter((h) => h.hasBook && h.book === null).map((h) => h.id);
  }

  setBook(id: number, book: ParsedBook | null): void {
    const head = this.heads.get(id);
    if (head !== undefined) this.heads.set(id, { ...head, book });
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
