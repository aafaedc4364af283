/**
 * perpbot's own exchange error classes. ccxt errors are mapped to these at the adapter boundary
 * (mapCcxtError in ccxt-errors.ts) so jobs decide retry-or-give-up by kind, never by vendor type.
 */
export type ExchangeErrorKind =
  | "rate-limited" // 429 / DDoS protection: retry after a pause
  | "unavailable" // network down, DNS, 5xx, maintenance: retry with backoff
  | "timeout" // no answer in time: retry with backoff
  | "bad-symbol" // the venue does not list this market: do not retry
  | "auth" // missing or wrong API key: do not retry
  | "invalid-order" // rejected order parameters: do not retry
  | "insufficient-funds" // do not retry
  | "unknown";

const RETRYABLE: ReadonlySet<ExchangeErrorKind> = new Set(["rate-limited", "unavailable", "timeout", "unknown"]);

export class ExchangeError extends Error {
  readonly kind: ExchangeErrorKind;
  readonly venue: string;
  /** A pause the exchange asked for (Retry-After), when it said. */
  readonly retryAfterMs: number | null;

  constructor(kind: ExchangeErrorKind, venue: string, message: string, options: { cause?: unknown; retryAfterMs?: number | null } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ExchangeError";
    this.kind = kind;
    this.venue = venue;
    this.retryAfterMs = options.retryAfterMs ?? null;
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.kind);
  }
}
