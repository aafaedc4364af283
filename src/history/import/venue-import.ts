import { snapSettlement } from "../../core/trading/funding";
import { ExchangeError, venueName } from "../../exchange/errors";
import type { MarketDataSource } from "../../exchange/market-data";
import type { Db } from "../../store/database";
import { SETTLEMENT_TOLERANCE_MS } from "../shared-data";
import { newestStoredTs, storeHistory, type RowOf } from "./history-store";

/**
 * Imports one venue's history of one symbol and kind through the market-data seam, page by page,
 * oldest first, each page stored (and committed) before the next is asked for. So an import that
 * stops for any reason — Ctrl-C, a page limit, a network that stays down, a crash — resumes from
 * the newest stored row when run again, and the tables' unique keys plus `storeHistory` make sure
 * nothing is stored twice.
 *
 * The adapter does not retry (see ccxt-market-data.ts); this loop does, by error kind: a pause the
 * venue asked for is waited out, network trouble is retried a few times with backoff, a ban or an
 * unlisted symbol stops the import with a message that says what to do.
 */
export type VenueKind = "funding" | "perp" | "spot" | "oi";
export const VENUE_KINDS: readonly VenueKind[] = ["funding", "perp", "spot", "oi"];

const HOUR_MS = 3_600_000;
/**
 * How far the cursor moves past a page that brought nothing new. Candle and open-interest
 * requests cover a window after `since` (OKX asks for since + limit bars), so an empty page may be
 * a gap in the venue's history, not its end: step over the window and ask again until now. The
 * adapter asks for 200 candles a page; open-interest pages are as small as 100 rows (OKX).
 */
/**
 * Funding is asked in windows of 30 days (at most 720 hourly prints, a few pages on any venue):
 * asked for years at once, venues that page backwards from the newest print would stop at the
 * adapter's page limit and return only the newest part, and resuming after it would leave the older
 * part missing for good.
 */
const FUNDING_WINDOW_MS = 30 * 24 * HOUR_MS;
const EMPTY_PAGE_STEP_MS: Readonly<Record<VenueKind, number>> = { funding: FUNDING_WINDOW_MS, perp: 200 * HOUR_MS, spot: 200 * HOUR_MS, oi: 100 * HOUR_MS };
/** Consecutive "too many requests" answers waited out before giving up (the venue keeps refusing). */
const MAX_RATE_LIMIT_WAITS = 10;

export interface ImportProgress {
  readonly pages: number;
  /** Rows the venue returned that were new to this run's window. */
  readonly fetched: number;
  /** Rows actually inserted (not there before). */
  readonly stored: number;
  readonly startTs: number;
  /** Everything before this stamp has been asked for. */
  readonly cursorTs: number;
  readonly endTs: number;
}

export interface VenueImportResult extends ImportProgress {
  /**
   * caught-up: nothing newer to fetch; page-limit: maxPages reached; interrupted: shouldStop said
   * so; not-offered: the venue has no spot pair or no open-interest history for this perp.
   */
  readonly outcome: "caught-up" | "page-limit" | "interrupted" | "not-offered";
}

/** The import cannot go on. `resumable`: running the same command later continues where it stopped. */
export class ImportStopped extends Error {
  constructor(message: string, readonly resumable: boolean, readonly progress: ImportProgress | null) {
    super(message);
    this.name = "ImportStopped";
  }
}

export interface VenueImportOptions {
  readonly db: Db;
  readonly source: MarketDataSource;
  readonly kind: VenueKind;
  readonly symbol: string;
  /** Where a first import starts; with rows stored, the import starts after the newest of them (if later). */
  readonly sinceMs: number | null;
  /** Stop after this many pages (resumable). */
  readonly maxPages?: number;
  /** Checked between pages and after each wait: true stops the import after the current page. */
  readonly shouldStop?: () => boolean;
  readonly onPage?: (progress: ImportProgress) => void;
  /** Told before each wait (a pause the venue asked for, or a backoff), for the operator. */
  readonly onWait?: (ms: number, reason: string) => void;
  /** Network failures retried per page before giving up. */
  readonly networkRetries?: number;
  /** First backoff after a network failure; doubles each time. */
  readonly backoffMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** One page of the seam, as rows of the kind's table. Funding stamps are snapped onto their settlement minute. */
async function fetchPage<K extends VenueKind>(source: MarketDataSource, kind: K, symbol: string, sinceMs: number): Promise<RowOf[K][]> {
  switch (kind) {
    case "funding":
      return (await source.fetchFundingHistory(symbol, sinceMs, sinceMs + FUNDING_WINDOW_MS)).map((p) => ({ ts: snapSettlement(p.ts, SETTLEMENT_TOLERANCE_MS), rate: p.rate })) as RowOf[K][];
    case "perp":
      return (await source.fetchPerpCandles(symbol, sinceMs)) as RowOf[K][];
    case "spot":
      return (await source.fetchSpotCandles(symbol, sinceMs)) as RowOf[K][];
    default:
      return (await source.fetchOpenInterestHistory(symbol, sinceMs)).map((o) => ({ ts: o.ts, amount: o.amount, value: o.value })) as RowOf[K][];
  }
}

/** The newest stamp a row of this kind can have now: a settled print is not after now, a closed bar opened an hour before. */
function newestPossible(kind: VenueKind, now: number): number {
  return kind === "funding" ? now : now - HOUR_MS;
}

export async function importFromVenue(options: VenueImportOptions): Promise<VenueImportResult> {
  const { db, source, kind, symbol } = options;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const shouldStop = options.shouldStop ?? (() => false);
  const name = venueName(source.venue);
  const newest = await newestStoredTs(db, kind, source.venue, symbol);
  const startTs = newest === null ? options.sinceMs : Math.max(newest + 1, options.sinceMs ?? Number.NEGATIVE_INFINITY);
  if (startTs === null) {
    throw new ImportStopped(`No ${kind} history of ${symbol} on ${name} is stored yet: say where to start with --since.`, false, null);
  }

  let pages = 0;
  let fetched = 0;
  let stored = 0;
  let cursorTs = startTs;
  const progress = (): ImportProgress => ({ pages, fetched, stored, startTs, cursorTs, endTs: now() });
  const resumeHint = (): string => `Everything before ${new Date(cursorTs).toISOString()} is stored; run the same command again to resume from there.`;

  /** One request, retried by error kind; null when a stop was asked for during a wait. */
  async function retrying<T>(request: () => Promise<T>): Promise<T | null> {
    let networkFailures = 0;
    let rateLimitWaits = 0;
    for (;;) {
      try {
        return await request();
      } catch (error) {
        if (!(error instanceof ExchangeError)) throw error;
        let wait: number;
        if (error.kind === "rate-limited") {
          rateLimitWaits += 1;
          if (rateLimitWaits > MAX_RATE_LIMIT_WAITS) throw new ImportStopped(`${name} kept answering "too many requests" (${MAX_RATE_LIMIT_WAITS} pauses waited out). ${resumeHint()}`, true, progress());
          // +1 ms: Node's timers run on the event loop's cached clock and can wake a millisecond before
          // Date.now reaches the venue's cool-down end, which would count as a second pause.
          wait = error.retryAfterMs === null ? (options.backoffMs ?? 1_000) * 2 ** Math.min(rateLimitWaits, 6) : Math.ceil(error.retryAfterMs) + 1;
        } else if (error.kind === "banned") {
          // The adapter's message says how long the ban lasts (the venue's own "banned until" where it gave one).
          throw new ImportStopped(`${error.message} Run the same command after that to resume; everything before ${new Date(cursorTs).toISOString()} is stored.`, true, progress());
        } else if (error.kind === "bad-symbol") {
          throw new ImportStopped(`Cannot import ${kind} history of ${symbol} from ${name}: ${error.message}`, false, progress());
        } else if (error.retryable) {
          networkFailures += 1;
          const attempts = options.networkRetries ?? 4;
          if (networkFailures > attempts) throw new ImportStopped(`${name} failed ${networkFailures} times in a row (${error.kind}): ${error.message} ${resumeHint()}`, true, progress());
          wait = (options.backoffMs ?? 1_000) * 2 ** (networkFailures - 1);
        } else {
          throw new ImportStopped(`${name} refused the ${kind} history request for ${symbol} (${error.kind}): ${error.message}`, false, progress());
        }
        options.onWait?.(wait, error.kind === "rate-limited" ? `${name} asked for a pause` : `${name} failed (${error.kind}); retrying`);
        await sleep(wait);
        if (shouldStop()) return null;
      }
    }
  }

  // A venue without the spot pair or open-interest history answers every page empty: say so once instead.
  if (kind === "spot" || kind === "oi") {
    const listing = await retrying(() => source.checkSymbol(symbol));
    if (listing === null) return { ...progress(), outcome: "interrupted" };
    if (!listing.perp) throw new ImportStopped(`Cannot import ${kind} history of ${symbol} from ${name}: it does not list that perpetual.`, false, null);
    if (!(kind === "spot" ? listing.spotSymbol !== null : listing.openInterest)) return { ...progress(), outcome: "not-offered" };
  }

  for (;;) {
    if (shouldStop()) return { ...progress(), outcome: "interrupted" };
    if (options.maxPages !== undefined && pages >= options.maxPages) return { ...progress(), outcome: "page-limit" };
    const latest = newestPossible(kind, now());
    if (cursorTs > latest) return { ...progress(), outcome: "caught-up" };
    const rows = await retrying(() => fetchPage(source, kind, symbol, cursorTs));
    if (rows === null) return { ...progress(), outcome: "interrupted" };
    pages += 1;
    const fresh = rows.filter((r) => r.ts >= cursorTs && r.ts <= latest);
    if (fresh.length === 0) {
      // An empty window reaching now leaves nothing to fetch: caught up (the clock runs on, so
      // "until now" must be decided here, not by comparing with a later now). An empty window
      // before it (a coin not listed yet, a venue pause) is stepped over.
      if (cursorTs + EMPTY_PAGE_STEP_MS[kind] > latest) return { ...progress(), outcome: "caught-up" };
      cursorTs += EMPTY_PAGE_STEP_MS[kind];
    } else {
      fetched += fresh.length;
      stored += await storeHistory(db, kind, source.venue, symbol, fresh);
      cursorTs = fresh.reduce((max, r) => Math.max(max, r.ts), cursorTs) + 1;
    }
    options.onPage?.(progress());
  }
}
