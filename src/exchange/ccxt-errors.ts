import {
  AuthenticationError, BadSymbol, DDoSProtection, ExchangeNotAvailable, InsufficientFunds, InvalidOrder,
  NetworkError, OnMaintenance, RateLimitExceeded, RequestTimeout,
} from "ccxt";
import { ExchangeError, type ExchangeErrorKind } from "./errors";

/**
 * ccxt errors → perpbot's ExchangeError, at the adapter boundary. Jobs decide retry-or-give-up by
 * `kind`; people read `message`. ccxt's own messages carry full request URLs (with signed query
 * strings on private calls) and raw response bodies, so nothing of them reaches a message or the
 * `cause` unscrubbed.
 */

export interface CcxtErrorContext {
  /** Headers of the failing response (ccxt's `last_response_headers`), for Retry-After. */
  readonly responseHeaders?: Readonly<Record<string, string | undefined>> | undefined;
  /** Values that must never appear in a message (API key, secret, passphrase). */
  readonly secrets?: readonly string[];
  /** Overrides the clock when turning reset timestamps into a pause. */
  readonly now?: number;
}

const VENUE_NAMES: Readonly<Record<string, string>> = { bybit: "Bybit", binanceusdm: "Binance USD-M", binance: "Binance", okx: "OKX" };

export function venueName(venue: string): string {
  return VENUE_NAMES[venue] ?? venue;
}

const SECRET_PARAM = /\b(signature|sign|api[-_]?key|apikey|secret|passphrase|password|token|x-mbx-apikey|x-bapi-[a-z-]+|ok-access-[a-z-]+)(["']?\s*[:=]\s*["']?)[^\s&"',}]+/gi;

/** Removes query strings from URLs, secret-looking parameters and long opaque tokens. */
export function scrubSecrets(text: string, secrets: readonly string[] = []): string {
  let out = secrets.filter((s) => s.length >= 6).reduce((acc, s) => acc.split(s).join("[redacted]"), text);
  out = out.replace(/(https?:\/\/[^\s?"']+)\?[^\s"']*/g, "$1");
  out = out.replace(SECRET_PARAM, "$1$2[redacted]");
  // HMAC signatures and keys: long hex or base64 runs that no exchange message needs to show.
  out = out.replace(/\b[A-Fa-f0-9]{32,}\b/g, "[redacted]").replace(/[A-Za-z0-9+/_-]{40,}={0,2}/g, "[redacted]");
  return out;
}

function kindOf(error: unknown, status: number | null): ExchangeErrorKind {
  // Some venues answer 429 with a class ccxt files elsewhere (OKX: ExchangeNotAvailable).
  if (status === 429 || status === 418) return "rate-limited";
  // RateLimitExceeded stopped being a DDoSProtection subclass in ccxt 4.5: test both.
  if (error instanceof RateLimitExceeded || error instanceof DDoSProtection) return "rate-limited";
  if (error instanceof RequestTimeout) return "timeout";
  if (error instanceof OnMaintenance || error instanceof ExchangeNotAvailable || error instanceof NetworkError) return "unavailable";
  if (error instanceof BadSymbol) return "bad-symbol";
  if (error instanceof AuthenticationError) return "auth"; // includes PermissionDenied, AccountSuspended
  if (error instanceof InsufficientFunds) return "insufficient-funds";
  if (error instanceof InvalidOrder) return "invalid-order";
  return "unknown";
}

interface Details {
  readonly request: string | null; // "GET /v5/market/tickers" — path only, never host or query
  readonly status: number | null;
  readonly venueCode: string | null;
  readonly venueMessage: string | null;
  readonly timeoutMs: number | null;
}

/** Pulls what a person needs out of ccxt's "<id> <METHOD> <url> <status> <reason> <body>" texts. */
function detailsOf(message: string): Details {
  const req = /\b(GET|POST|PUT|DELETE)\s+(https?:\/\/\S+)/.exec(message);
  let request: string | null = null;
  if (req?.[1] !== undefined && req[2] !== undefined) {
    try {
      request = `${req[1]} ${new URL(req[2]).pathname}`;
    } catch {
      request = req[1];
    }
  }
  const statusMatch = /(?:https?:\/\/\S+|^\S+)\s+([1-5]\d\d)\b/.exec(message);
  const status = statusMatch?.[1] === undefined ? null : Number(statusMatch[1]);
  let venueCode: string | null = null;
  let venueMessage: string | null = null;
  const jsonStart = message.indexOf("{");
  if (jsonStart >= 0) {
    try {
      const body = JSON.parse(message.slice(jsonStart)) as Record<string, unknown>;
      const code = body["retCode"] ?? body["ret_code"] ?? body["code"];
      const text = body["retMsg"] ?? body["ret_msg"] ?? body["msg"];
      venueCode = typeof code === "string" || typeof code === "number" ? String(code) : null;
      venueMessage = typeof text === "string" && text.length > 0 ? text : null;
    } catch {
      // not JSON: the status line is all we get
    }
  }
  const timeout = /timed out \((\d+) ms\)/.exec(message);
  return { request, status, venueCode, venueMessage, timeoutMs: timeout?.[1] === undefined ? null : Number(timeout[1]) };
}

function header(headers: CcxtErrorContext["responseHeaders"], name: string): string | undefined {
  if (headers === undefined) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/** Retry-After (seconds or HTTP date), or Bybit's X-Bapi-Limit-Reset-Timestamp (epoch ms). */
export function retryAfterFromHeaders(headers: CcxtErrorContext["responseHeaders"], now: number = Date.now()): number | null {
  const retryAfter = header(headers, "retry-after");
  if (retryAfter !== undefined && retryAfter.trim() !== "") {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
    const at = Date.parse(retryAfter);
    if (Number.isFinite(at)) return Math.max(0, at - now);
  }
  const reset = Number(header(headers, "x-bapi-limit-reset-timestamp"));
  if (Number.isFinite(reset) && reset > now) return reset - now;
  return null;
}

const seconds = (ms: number): string => (ms < 10_000 ? `${Math.max(1, Math.round(ms / 100) / 10)} s` : `${Math.round(ms / 1000)} s`);

function describe(kind: ExchangeErrorKind, name: string, d: Details, retryAfterMs: number | null, fallback: string): string {
  const codes = [d.status === null ? null : `HTTP ${d.status}`, d.venueCode === null || d.venueCode === String(d.status) ? null : `code ${d.venueCode}`].filter((c) => c !== null);
  const tag = codes.length > 0 ? ` (${codes.join(", ")})` : "";
  const on = d.request === null ? "" : ` on ${d.request}`;
  const said = d.venueMessage === null ? "" : `: "${d.venueMessage.slice(0, 200)}"`;
  switch (kind) {
    case "rate-limited":
      return retryAfterMs === null
        ? `${name} is rate-limiting us${tag}${said}; retry after a pause and poll less often if it repeats.`
        : `${name} is rate-limiting us${tag}${said}; retry in ${seconds(retryAfterMs)}.`;
    case "timeout":
      return `${name} did not answer in time${d.timeoutMs === null ? "" : ` (${d.timeoutMs} ms)`}${on}; retry later, and check the network if it keeps happening.`;
    case "unavailable":
      return `${name} is unreachable or failing${tag}${on}${said}; retry later, and check the venue's status page or this machine's network if it lasts.`;
    case "bad-symbol":
      return `${name} does not know this market${tag}${said}. Check SYMBOLS; use the ccxt unified form like MNT/USDT:USDT.`;
    case "auth":
      return `${name} rejected our API credentials${tag}${said}. Check the API key, secret and their permissions.`;
    case "invalid-order":
      return `${name} rejected the order${tag}${said}.`;
    case "insufficient-funds":
      return `${name} says the account has insufficient funds for this order${tag}${said}.`;
    case "unknown":
      // Hosts add nothing for a person (the path is in `on`); the full scrubbed text stays in `cause`.
      return `${name} returned an unexpected error${tag}${on}${said || `: ${fallback.replace(/https?:\/\/[^\s/]+/g, "").slice(0, 300)}`}.`;
  }
}

export function mapCcxtError(error: unknown, venue: string, context: CcxtErrorContext = {}): ExchangeError {
  if (error instanceof ExchangeError) return error;
  const secrets = context.secrets ?? [];
  const raw = error instanceof Error ? error.message : String(error);
  const d = detailsOf(raw);
  const kind = kindOf(error, d.status);
  const retryAfterMs = kind === "rate-limited" ? retryAfterFromHeaders(context.responseHeaders, context.now) : null;
  const scrubbedDetails: Details = { ...d, venueMessage: d.venueMessage === null ? null : scrubSecrets(d.venueMessage, secrets) };
  const fallback = scrubSecrets(raw, secrets).replace(/\s+/g, " ").trim();
  const message = describe(kind, venueName(venue), scrubbedDetails, retryAfterMs, fallback);
  // Keep the vendor class name and a scrubbed text for logs; never the original (it holds the URL).
  const cause = new Error(fallback);
  cause.name = error instanceof Error ? error.name : "NonError";
  return new ExchangeError(kind, venue, message, { cause, retryAfterMs });
}
