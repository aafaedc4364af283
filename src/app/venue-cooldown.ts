import type { App } from "./context";
import { sendText } from "./send-text";
import { span, venueName } from "../exchange/errors";
import type { ExchangeError } from "../exchange/errors";

/**
 * A per-venue circuit breaker for bans and pauses a venue asks for. While a venue is cooling down
 * the poll skips it without a request; the other venues are polled as usual. Kept in this process
 * and in the database (Setting `venue-cooldown:<venue>`), so a restart does not hammer a banned
 * venue. The operator is told once when a ban starts and once when it is over; the log says each once.
 */

export interface VenueCooldown {
  readonly venue: string;
  /** Epoch ms: no request to the venue before this. */
  readonly until: number;
  readonly kind: "banned" | "rate-limited";
  /** What the venue said, as a person reads it (the ExchangeError's message). */
  readonly reason: string;
  /** Whether the operator was told (bans, long pauses); only then is the end announced too. */
  readonly notify: boolean;
}

/** A rate-limit pause this long is worth a chat message; shorter ones only reach the log. */
export const NOTIFY_PAUSE_MS = 10 * 60_000;

export const cooldownKey = (venue: string): string => `venue-cooldown:${venue}`;

/** Per database (one per process in production; one per test app in tests). */
const memory = new WeakMap<object, Map<string, VenueCooldown>>();

function remembered(app: App): Map<string, VenueCooldown> {
  let map = memory.get(app.db);
  if (map === undefined) {
    map = new Map();
    memory.set(app.db, map);
  }
  return map;
}

function parse(venue: string, value: string): VenueCooldown | null {
  try {
    const v = JSON.parse(value) as Partial<VenueCooldown>;
    if (typeof v.until !== "number" || !Number.isFinite(v.until)) return null;
    return { venue, until: v.until, kind: v.kind === "rate-limited" ? "rate-limited" : "banned", reason: typeof v.reason === "string" ? v.reason : "", notify: v.notify !== false };
  } catch {
    return null;
  }
}

/** The cooldowns on record for these venues (active or just expired), the later of memory and database. */
export async function readCooldowns(app: App, venues: readonly string[]): Promise<Map<string, VenueCooldown>> {
  const mem = remembered(app);
  const out = new Map<string, VenueCooldown>();
  for (const venue of venues) {
    const held = mem.get(venue);
    if (held !== undefined) out.set(venue, held);
  }
  try {
    const rows = await app.db.setting.findMany({ where: { key: { in: venues.map(cooldownKey) } } });
    for (const row of rows) {
      const venue = row.key.slice(cooldownKey("").length);
      const stored = parse(venue, row.value);
      const held = out.get(venue);
      if (stored !== null && (held === undefined || stored.until > held.until)) {
        out.set(venue, stored);
        mem.set(venue, stored);
      }
    }
  } catch (error) {
    app.logger.warn({ error: error instanceof Error ? error.message : String(error) }, "venue cool-downs not read from the database; using this process's");
  }
  return out;
}

/**
 * Opens (or extends) the venue's cool-down when the error is a ban or a pause the venue asked
 * for; returns it, or null when the error asks for none (then the caller retries as usual).
 */
export async function openCooldown(app: App, error: ExchangeError): Promise<VenueCooldown | null> {
  const now = app.clock();
  let until: number | null = null;
  if (error.kind === "banned") until = error.bannedUntil ?? now + (error.retryAfterMs ?? 0);
  else if (error.kind === "rate-limited" && error.retryAfterMs !== null) until = now + error.retryAfterMs;
  if (until === null || until <= now) return null;
  const venue = error.venue;
  const mem = remembered(app);
  const held = mem.get(venue);
  if (held !== undefined && held.until >= until) return held; // already known: no second message
  const kind = error.kind === "banned" ? "banned" : "rate-limited";
  const notify = kind === "banned" || until - now >= NOTIFY_PAUSE_MS;
  const cooldown: VenueCooldown = { venue, until, kind, reason: error.message, notify };
  mem.set(venue, cooldown);
  const value = JSON.stringify({ until, kind, reason: cooldown.reason, notify });
  try {
    await app.db.setting.upsert({ where: { key: cooldownKey(venue) }, create: { key: cooldownKey(venue), value }, update: { value } });
  } catch (e) {
    app.logger.warn({ venue, error: e instanceof Error ? e.message : String(e) }, "venue cool-down not saved; this process still honours it");
  }
  const name = venueName(venue);
  const resume = new Date(until).toISOString();
  app.logger.warn({ venue, kind, until: resume, pauseMs: until - now }, `${name}: ${kind === "banned" ? "banned" : "asked us to pause"}; not polling it until ${resume}. ${error.message}`);
  if (notify) {
    const text =
      `${error.message.replace(/\.*$/, ".")} ${kind === "banned" ? "Every request before then would prolong the ban, so" : "Meanwhile"} ` +
      `${name} is not polled for ${span(until - now)}; the other venues are polled as usual. I will say when it is back.`;
    await sendText(app, `venue-${kind === "banned" ? "ban" : "pause"}-${venue}-${until}`, text, "data");
  }
  return cooldown;
}

/** Forgets an expired cool-down, saying once that the venue is polled again. */
export async function endCooldown(app: App, cooldown: VenueCooldown): Promise<void> {
  const mem = remembered(app);
  if (mem.get(cooldown.venue)?.until === cooldown.until) mem.delete(cooldown.venue);
  try {
    await app.db.setting.deleteMany({ where: { key: cooldownKey(cooldown.venue), value: { contains: `"until":${cooldown.until},` } } });
  } catch (e) {
    app.logger.warn({ venue: cooldown.venue, error: e instanceof Error ? e.message : String(e) }, "expired venue cool-down not removed from the database");
  }
  const name = venueName(cooldown.venue);
  const what = cooldown.kind === "banned" ? "ban" : "pause";
  app.logger.info({ venue: cooldown.venue, until: new Date(cooldown.until).toISOString() }, `${name}: the ${what} is over; polling it again.`);
  if (cooldown.notify) {
    await sendText(app, `venue-${what}-over-${cooldown.venue}-${cooldown.until}`, `${name}: the ${what} ended at ${new Date(cooldown.until).toISOString().replace("T", " ").replace(/\.\d{3}Z$/, " UTC")}; polling it again.`, "data");
  }
}
