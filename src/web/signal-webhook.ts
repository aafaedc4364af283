import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { App } from "../app/context";
import { auditInboundCall, parseInboundAlert, submitInboundSignal } from "../app/inbound-signal";

export const SIGNAL_WEBHOOK_PATH = "/signals/inbound";
export const SIGNAL_SECRET_HEADER = "x-perpbot-secret";
/** A TradingView alert is a few hundred bytes; anything near this is not one. */
export const SIGNAL_BODY_LIMIT = 16 * 1024;

export interface SignalWebhookOptions {
  readonly secret: string;
  /** Calls per source address per minute (default 30); all calls count, refused ones too. */
  readonly perMinute?: number;
}

/**
 * `POST /signals/inbound` (see src/app/inbound-signal.ts for what a valid alert becomes).
 * Answers, in the order checked: 429 over the per-address rate (Retry-After); 405 not POST;
 * 413 a body over 16 kB; 403 a wrong or missing secret (X-Perpbot-Secret header, or the body's
 * "secret" field since TradingView cannot set headers; a header, when sent, is the one checked);
 * 400 not JSON or a bad field (named); then 202 {proposalId} when a proposal was made, or 200
 * {proposalId: null, skipped} when the alert was journaled but the rules made none (paused, the
 * symbol busy, no fresh price): a sender that retries on errors must not retry those.
 */
export function createSignalWebhook(app: App, options: SignalWebhookOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const limiter = new RateLimiter(options.perMinute ?? 30, 60_000);
  const expected = digest(options.secret);
  return async (req, res) => {
    const source = req.socket.remoteAddress ?? "unknown";
    const refuse = async (status: number, error: string, headers: Record<string, string> = {}, audited = true): Promise<void> => {
      if (audited) await auditInboundCall(app, { source, outcome: "refused", detail: `${status}: ${error}` });
      reply(res, status, { ok: false, error }, headers);
    };
    const limited = limiter.take(source, app.clock());
    if (limited !== null) {
      // Audited once per address per window: a flood must not become a flood of audit rows.
      return refuse(429, `too many calls from this address: at most ${limiter.limit} a minute.`, { "retry-after": String(limited.retryAfterSeconds) }, limited.first);
    }
    if (req.method !== "POST") return refuse(405, "use POST with a JSON alert.", { allow: "POST" });
    const body = await readBody(req, SIGNAL_BODY_LIMIT);
    if (body === "too large") return refuse(413, `the body is over ${SIGNAL_BODY_LIMIT / 1024} kB; an alert is a small JSON object.`, { connection: "close" });
    const header = req.headers[SIGNAL_SECRET_HEADER];
    const headerSecret = Array.isArray(header) ? header[0] : header;
    if (headerSecret !== undefined && !matches(headerSecret, expected)) return refuse(403, "wrong or missing secret.");
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString("utf8"));
    } catch {
      // Unauthenticated (no header) and unreadable: the secret cannot even be read, so 403 would say no more.
      return refuse(400, "the body is not valid JSON.");
    }
    if (headerSecret === undefined) {
      const bodySecret = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>).secret : undefined;
      if (typeof bodySecret !== "string" || !matches(bodySecret, expected)) return refuse(403, "wrong or missing secret.");
    }
    const alert = parseInboundAlert(app, parsed);
    if (!alert.ok) return refuse(400, alert.error);
    const { symbol, side, horizonHours } = alert.alert;
    const target = `${side} ${symbol}`;
    try {
      const result = await submitInboundSignal(app, alert.alert);
      await auditInboundCall(app, { source, outcome: "ok", target, detail: result.proposalId !== null ? `proposal ${result.proposalId} (signal ${result.signalId})` : `signal ${result.signalId}, no proposal: ${result.skipped ?? ""}` });
      app.logger.info({ source, symbol, side, horizonHours, signalId: result.signalId, proposalId: result.proposalId, skipped: result.skipped }, "inbound signal");
      if (result.proposalId !== null) reply(res, 202, { ok: true, signalId: result.signalId, proposalId: result.proposalId });
      else reply(res, 200, { ok: true, signalId: result.signalId, proposalId: null, skipped: result.skipped });
    } catch (error) {
      await auditInboundCall(app, { source, outcome: "error", target, detail: error instanceof Error ? error.message : String(error) }).catch(() => undefined);
      throw error;
    }
  };
}

/** Both sides hashed first: equal-length buffers for timingSafeEqual, and the length of the secret is not revealed either. */
function digest(secret: string): Buffer {
  return createHash("sha256").update(secret, "utf8").digest();
}

function matches(given: string, expected: Buffer): boolean {
  return timingSafeEqual(digest(given), expected);
}

/** The body, or "too large" as soon as it is known to exceed the limit (Content-Length, or counted). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | "too large"> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve("too large");
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off("data", onData);
        req.resume();
        resolve("too large");
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => resolve(Buffer.concat(chunks)));
    req.once("error", reject);
  });
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

/**
 * Sliding window per source address, in memory (one web process; a restart forgets, which only
 * lets a few more calls through). The map is bounded: addresses whose calls have all aged out are
 * dropped when it grows, and past the cap the oldest entries go.
 */
export class RateLimiter {
  private readonly calls = new Map<string, { times: number[]; refusedAudited: boolean }>();
  private static readonly MAX_SOURCES = 10_000;

  constructor(readonly limit: number, private readonly windowMs: number) {}

  /** null: allowed (and counted); else the wait, and whether this is the first refusal in the window. */
  take(source: string, now: number): { retryAfterSeconds: number; first: boolean } | null {
    const entry = this.calls.get(source) ?? { times: [], refusedAudited: false };
    entry.times = entry.times.filter((t) => t > now - this.windowMs);
    if (entry.times.length === 0) entry.refusedAudited = false;
    this.calls.delete(source);
    this.calls.set(source, entry);
    this.prune(now);
    if (entry.times.length >= this.limit) {
      const oldest = entry.times[0] ?? now;
      const first = !entry.refusedAudited;
      entry.refusedAudited = true;
      return { retryAfterSeconds: Math.max(1, Math.ceil((oldest + this.windowMs - now) / 1000)), first };
    }
    entry.times.push(now);
    return null;
  }

  private prune(now: number): void {
    if (this.calls.size <= RateLimiter.MAX_SOURCES) return;
    for (const [source, entry] of this.calls) {
      if (entry.times.every((t) => t <= now - this.windowMs)) this.calls.delete(source);
    }
    // Still full of live addresses: the least recently seen go (the map keeps them in that order).
    for (const source of this.calls.keys()) {
      if (this.calls.size <= RateLimiter.MAX_SOURCES) break;
      this.calls.delete(source);
    }
  }
}
