import { transact, type Db } from "./database";
import type { Tx } from "./outbox";

/**
 * Guard rows: the conditional writes that make a read-then-write safe when several processes
 * share one database, on SQLite and PostgreSQL alike. The pattern everywhere is optimistic: read
 * outside the write transaction, decide, then open the transaction with a write that is
 * conditional on what was read (a compare-and-set on a Setting row, or on a version column). If
 * it matches nothing, someone else moved first: the transaction is abandoned and the caller reads
 * again. Because that conditional write comes FIRST, it also takes the row's lock (PostgreSQL) or
 * the file's write lock (SQLite) for the rest of the transaction, so nothing written after it can
 * interleave with another writer of the same row.
 *
 * "Read outside the write transaction" still means inside a (read-only) transaction, so the reads
 * behind one decision see one committed state. (On SQLite the process's one connection also keeps
 * a lone read from running inside another flow's open transaction: see sqlite-connection.ts.)
 */

/** Reads that must see committed rows only (see above): a transaction that writes nothing. */
export function readCommitted<T>(db: Db, body: (tx: Tx) => Promise<T>): Promise<T> {
  return transact(db, body);
}

/** Another process changed the guarded row between our read and our write: read again and decide anew. */
export class GuardConflict extends Error {
  constructor(what: string) {
    super(`${what} changed under us`);
    this.name = "GuardConflict";
  }
}

/** Prisma's unique-constraint violation (P2002): another process created the same row first. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2002";
}

/**
 * Creates the Setting row `key` with `initial` unless it exists. The insert is the first statement
 * of a transaction of its own: a unique violation (another process made the row first, which is
 * just as good) ends only that one, and on SQLite a transaction that writes first waits for the
 * file's lock instead of being refused for having read under a lock it cannot upgrade.
 */
export async function ensureSettingRow(db: Db, key: string, initial: string): Promise<void> {
  if ((await readCommitted(db, (tx) => tx.setting.findUnique({ where: { key }, select: { key: true } }))) !== null) return;
  await createSettingRow(db, key, initial);
}

/**
 * `ensureSettingRow` for many keys with one read: a batch of proposals asks for its symbols'
 * claim rows every cycle, and almost always they all exist. Each missing row is created as above.
 */
export async function ensureSettingRows(db: Db, keys: readonly string[], initial: string): Promise<void> {
  if (keys.length === 0) return;
  const present = await readCommitted(db, (tx) => tx.setting.findMany({ where: { key: { in: [...keys] } }, select: { key: true } }));
  const have = new Set(present.map((row) => row.key));
  for (const key of new Set(keys)) if (!have.has(key)) await createSettingRow(db, key, initial);
}

async function createSettingRow(db: Db, key: string, initial: string): Promise<void> {
  try {
    await transact(db, (tx) => tx.setting.create({ data: { key, value: initial } }));
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
  }
}

/**
 * Sets `key` to `next` only if it still holds `expected` (the value read). True when it did; false
 * when another writer changed it first. Writing `next === expected` is how a transaction confirms
 * a row it depends on (the pause state) is unchanged, and holds it until commit.
 */
export async function compareAndSetSetting(tx: Tx, key: string, expected: string, next: string): Promise<boolean> {
  const { count } = await tx.setting.updateMany({ where: { key, value: expected }, data: { value: next } });
  return count === 1;
}

/** Runs `attempt` again (reading afresh) while it ends in a GuardConflict or a lost create race, up to `tries` times. */
export async function retryOnConflict<T>(what: string, attempt: () => Promise<T>, tries = 8): Promise<T> {
  for (let n = 1; ; n += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof GuardConflict || isUniqueViolation(error)) || n >= tries) {
        if (error instanceof GuardConflict) throw new Error(`${what} kept changing under us (${tries} tries); try again`);
        throw error;
      }
      // A short random pause so two processes that collided do not collide again in step.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * n));
    }
  }
}
