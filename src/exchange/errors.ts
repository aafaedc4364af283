import { findVenue } from "./venues/registry";

/**
 * perpbot's own exchange error classes. ccxt errors are mapped to these at the adapter boundary
 * (mapCcxtError in ccxt-errors.ts) so jobs decide retry-or-give-up by kind, never by vendor type.
 */
export type ExchangeErrorKind =
  | "rate-limited" // 429 / DDoS protection: retry after a pause
  | "banned" // the venue banned our IP (Binance 418, Bybit 403): no request until `bannedUntil`
  | "unavailable" // network down, DNS, 5xx, maintenance: retry with backoff
  | "timeout" // no answer in time: retry with backoff
  | "bad-symbol" // the venue does not list this market: do not retry
  | "auth" // missing or wrong API key: do not retry
  | "invalid-order" // rejected order parameters: do not retry
  | "insufficient-funds" // do not retry
  | "unknown";

/** Retrying with backoff can help. Not "banned": every request before `bannedUntil` prolongs the ban. */
const RETRYABLE: ReadonlySet<ExchangeErrorKind> = new Set(["rate-limited", "unavailable", "timeout", "unknown"]);

export class ExchangeError extends Error {
  readonly kind: ExchangeErrorKind;
  readonly venue: string;
  /** A pause the exchange asked for (Retry-After, a reset time, a ban's length), when known. */
  readonly retryAfterMs: number | null;
  /** For "banned": when the ban ends, epoch ms (the venue's own time when it said, else ours + the pause). */
  readonly bannedUntil: number | null;

  constructor(
    kind: ExchangeErrorKind,
    venue: string,
    message: string,
    options: { cause?: unknown; retryAfterMs?: number | null; bannedUntil?: number | null } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ExchangeError";
    this.kind = kind;
    this.venue = venue;
    this.retryAfterMs = options.retryAfterMs ?? null;
    this.bannedUntil = options.bannedUntil ?? null;
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.kind);
  }
}

/** Names of venues outside the registry that messages may still mention. */
const OTHER_NAMES: Readonly<Record<string, string>> = { binance: "Binance" };

export function venueName(venue: string): string {
  return findVenue(venue)?.name ?? OTHER_NAMES[venue] ?? venue;
}

const seconds = (ms: number): string => (ms < 10_000 ? `${Math.max(1, Math.round(ms / 100) / 10)} s` : `${Math.round(ms / 1000)} s`);

/** "90 s", "30 min", "2 h 5 min": a pause as a person reads it. */
export function span(ms: number): string {
  if (ms < 120_000) return seconds(ms);
  const minutes = Math.round(ms / 60_000);
  if (minutes < 120) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${h} h` : `${h} h ${minutes % 60} min`;
}
