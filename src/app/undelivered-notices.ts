import { transact } from "../store/database";
import type { App } from "./context";

/**
 * Alerts a chat platform never took, after every retry of their notify job (issue 9: "a message
 * undeliverable after its retries is recorded as such and reported on the next /status").
 *
 * One Setting row per platform (`undelivered:<platform>`): how many and since when. It is shown
 * by the next /status, on any platform, and cleared by that showing: a reader has now been told,
 * and a repeat on every /status would teach people to skip the line. A later failure starts a new
 * count. The notices themselves stay in the outbox as failed intents, with their error.
 */
const KEY_PREFIX = "undelivered:";

interface Tally { readonly count: number; readonly since: number }
export interface Undelivered extends Tally { readonly platform: string }

export async function recordUndelivered(app: App, platform: string, now: number): Promise<void> {
  const key = `${KEY_PREFIX}${platform}`;
  // Read and write in one transaction: two notify jobs may give up at the same moment.
  await transact(app.db, async (tx) => {
    const row = await tx.setting.findUnique({ where: { key } });
    const old = row === null ? null : parseTally(row.value);
    const value = JSON.stringify({ count: (old?.count ?? 0) + 1, since: old?.since ?? now } satisfies Tally);
    await tx.setting.upsert({ where: { key }, create: { key, value }, update: { value } });
  });
}

/** What /status reports (per platform: how many, since when), cleared once read. */
export async function takeUndelivered(app: App): Promise<Undelivered[]> {
  const rows = await app.db.setting.findMany({ where: { key: { startsWith: KEY_PREFIX } }, orderBy: { key: "asc" } });
  if (rows.length === 0) return [];
  // Conditional on the value read: a failure recorded meanwhile is kept for the next /status.
  await Promise.all(rows.map((r) => app.db.setting.deleteMany({ where: { key: r.key, value: r.value } })));
  return rows.flatMap((row) => {
    const tally = parseTally(row.value);
    return tally === null ? [] : [{ platform: row.key.slice(KEY_PREFIX.length), ...tally }];
  });
}

function parseTally(value: string): Tally | null {
  try {
    const parsed = JSON.parse(value) as Partial<Tally>;
    return typeof parsed.count === "number" && typeof parsed.since === "number" ? { count: parsed.count, since: parsed.since } : null;
  } catch {
    return null;
  }
}
