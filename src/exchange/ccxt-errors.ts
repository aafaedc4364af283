import {
  AuthenticationError, BadSymbol, DDoSProtection, ExchangeNotAvailable, InsufficientFunds, InvalidOrder,
  NetworkError, OnMaintenance, RateLimitExceeded, RequestTimeout,
} from "./ccxt-error-classes";
import { ExchangeError, span, venueName, type ExchangeErrorKind } from "./errors";
import { findVenue } from "./venues/registry";

export { span, venueName };

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

/**
 * How long we stay away at most, whatever a venue says: Binance documents IP bans "from 2 minutes
 * to 3 days" (developers.binance.com, "Rate limits"), so a longer pause is a parsing error or a
 * broken header, not a ban we should honour. No shorter cap: a pause a venue asks for is kept.
 */
export const MAX_PAUSE_MS = 3 * 24 * 3_600_000;
/**
 * A ban whose length the venue did not state, for a venue whose descriptor names none. Bybit's IP
 * ban (HTTP 403, "access too frequent") comes without Retry-After; its docs say to stop and "wait
 * for at least 10 minutes" (v5 rate-limit page) and that a ban "usually" lasts 30 minutes (older
 * rate-limit pages, "if you are still banned after 30 minutes, you likely have a permanent ban").
 * Each descriptor's `bans.defaultMs` says what that venue gets (all 30 minutes today).
 */
export const DEFAULT_BAN_MS = 30 * 60_000;
/** A "banned until" already past by our clock (skew): still stay away a little. */
const MIN_BAN_MS = 60_000;

/** Binance's -1003 text: "Way too much request weight used; IP banned until 1700000000000. Please use…". */
export function bannedUntilFromText(text: string): number | null {
  const m = /banned until\s+(\d{10,13})\b/i.exec(text);
  if (m?.[1] === undefined) return null;
  const n = Number(m[1]);
  return n < 1e12 ? n * 1000 : n; // seconds, should a venue ever write them
}

function isBan(venue: string, status: number | null, raw: string): boolean {
  // The statuses a venue uses for an IP ban are in its descriptor: Binance's 418 ("IP auto-banned for
  // continuing to send requests after receiving 429 codes", ccxt DDoSProtection), Bybit's 403
  // ("access too frequent", which ccxt files as RateLimitExceeded). Other venues' 403 (Binance's
  // WAF, OKX) is not a ban.
  if (status !== null && findVenue(venue)?.bans.statuses.includes(status) === true) return true;
  if (bannedUntilFromText(raw) !== null) return true;
  return /access too frequent/i.test(raw);
}

function kindOf(error: unknown, venue: string, status: number | null, raw: string): ExchangeErrorKind {
  if (isBan(venue, status, raw)) return "banned";
  // Some venues answer 429 with a class ccxt files elsewhere (OKX: ExchangeNotAvailable).
  if (status === 429) return "rate-limited";
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

/** Retry-After alone (seconds or HTTP date), in ms. */
function retryAfterHeader(headers: CcxtErrorContext["responseHeaders"], now: number): number | null {
  const retryAfter = header(headers, "retry-after");
  if (retryAfter !== undefined && retryAfter.trim() !== "") {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
    const at = Date.parse(retryAfter);
    if (Number.isFinite(at)) return Math.max(0, at - now);
  }
  return null;
}

/** Retry-After (seconds or HTTP date), or Bybit's X-Bapi-Limit-Reset-Timestamp (epoch ms). */
export function retryAfterFromHeaders(headers: CcxtErrorContext["responseHeaders"], now: number = Date.now()): number | null {
  const asked = retryAfterHeader(headers, now);
  if (asked !== null) return asked;
  const reset = Number(header(headers, "x-bapi-limit-reset-timestamp"));
  if (Number.isFinite(reset) && reset > now) return reset - now;
  return null;
}


const clockTime = (ms: number): string => new Date(ms).toISOString().replace("T", " ").replace(/:\d\d\.\d{3}Z$/, " UTC");

function describe(kind: ExchangeErrorKind, name: string, d: Details, retryAfterMs: number | null, bannedUntil: number | null, fallback: string): string {
  const codes = [d.status === null ? null : `HTTP ${d.status}`, d.venueCode === null || d.venueCode === String(d.status) ? null : `code ${d.venueCode}`].filter((c) => c !== null);
  const tag = codes.length > 0 ? ` (${codes.join(", ")})` : "";
  const on = d.request === null ? "" : ` on ${d.request}`;
  const said = d.venueMessage === null ? "" : `: "${d.venueMessage.slice(0, 200)}"`;
  switch (kind) {
    case "banned":
      return `${name} has banned this IP for too many requests${tag}${said}; not calling it for ${span(retryAfterMs ?? DEFAULT_BAN_MS)}${bannedUntil === null ? "" : `, until ${clockTime(bannedUntil)}`}.`;
    case "rate-limited":
      return retryAfterMs === null
        ? `${name} is rate-limiting us${tag}${said}; retry after a pause and poll less often if it repeats.`
        : `${name} is rate-limiting us${tag}${said}; retry in ${span(retryAfterMs)}.`;
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
  const kind = kindOf(error, venue, d.status, raw);
  const now = context.now ?? Date.now();
  const asked = kind === "rate-limited" ? retryAfterFromHeaders(context.responseHeaders, now) : null;
  let retryAfterMs = asked === null ? null : Math.min(asked, MAX_PAUSE_MS);
  let bannedUntil: number | null = null;
  if (kind === "banned") {
    // The longest of what the venue said: a "banned until" time, a Retry-After (Binance sends it with
    // 418 "until the ban is over"). Not Bybit's X-Bapi-Limit-Reset-Timestamp: that is the per-UID
    // window, not the IP ban.
    const stated = bannedUntilFromText(raw);
    const asked = retryAfterHeader(context.responseHeaders, now);
    const candidates = [stated, asked === null ? null : now + asked].filter((t): t is number => t !== null);
    let until = candidates.length === 0 ? now + (findVenue(venue)?.bans.defaultMs ?? DEFAULT_BAN_MS) : Math.max(...candidates);
    if (until <= now) until = now + MIN_BAN_MS;
    bannedUntil = Math.min(until, now + MAX_PAUSE_MS);
    retryAfterMs = bannedUntil - now;
  }
  const scrubbedDetails: Details = { ...d, venueMessage: d.venueMessage === null ? null : scrubSecrets(d.venueMessage, secrets) };
  const fallback = scrubSecrets(raw, secrets).replace(/\s+/g, " ").trim();
  const message = describe(kind, venueName(venue), scrubbedDetails, retryAfterMs, bannedUntil, fallback);
  // Keep the vendor class name and a scrubbed text for logs; never the original (it holds the URL).
  const cause = new Error(fallback);
  cause.name = error instanceof Error ? error.name : "NonError";
  return new ExchangeError(kind, venue, message, { cause, retryAfterMs, bannedUntil });
}
