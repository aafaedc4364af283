import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { transact, type Db } from "./database";
import { compareAndSetSetting, GuardConflict, readCommitted, retryOnConflict } from "./guard-rows";

/**
 * Who may post a proposal's card copies right now, across processes. Two bot processes can run
 * two card jobs of one proposal at the same moment (its proposal card and its fill's, say); both
 * would find no copy recorded yet and both would post one. Within a process the card jobs of one
 * proposal take turns (notifier.ts); across processes the poster holds this lease, a Setting row
 * `card.posting.<proposalId>` = {owner, until}, while it posts and records the copies. The other
 * job waits and retries; by then the copies are recorded, so it edits them instead.
 * The lease expires (LEASE_MS) so a process killed while posting does not block the card for good;
 * one whose holder is known dead (a process of this host that no longer exists) is taken over at once.
 */
export const LEASE_MS = 60_000;

/** This process's name on the leases it takes. */
export const THIS_PROCESS = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

interface Lease { readonly owner: string; readonly until: number }

const keyOf = (proposalId: string): string => `card.posting.${proposalId}`;

function parseLease(value: string): Lease | null {
  try {
    const parsed = JSON.parse(value) as Partial<Lease>;
    return typeof parsed.owner === "string" && typeof parsed.until === "number" ? { owner: parsed.owner, until: parsed.until } : null;
  } catch {
    return null; // unreadable: treated as expired, so it cannot block the card
  }
}

/** The holder was a process of this machine that is gone (killed, restarted): its lease is void. */
function holderGone(owner: string): boolean {
  const [host, pidText, incarnation] = owner.split(":");
  if (host !== hostname()) return false; // another machine's process: only the expiry tells
  const pid = Number(pidText);
  if (pid === process.pid) return owner !== THIS_PROCESS && incarnation !== undefined; // an earlier process with our pid (a container's pid 1)
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** Takes (or renews) the posting lease of a proposal's card; false while another process holds it. */
export function takeCardLease(db: Db, proposalId: string, now: number, owner = THIS_PROCESS): Promise<boolean> {
  const key = keyOf(proposalId);
  const value = JSON.stringify({ owner, until: now + LEASE_MS } satisfies Lease);
  return retryOnConflict("the card's posting lease", async () => {
    const row = await readCommitted(db, (tx) => tx.setting.findUnique({ where: { key } }));
    if (row === null) {
      // A unique violation here (another process created it first) reads again (retryOnConflict).
      await transact(db, (tx) => tx.setting.create({ data: { key, value } }));
      return true;
    }
    const held = parseLease(row.value);
    if (held !== null && held.owner !== owner && held.until > now && !holderGone(held.owner)) return false;
    if (!(await transact(db, (tx) => compareAndSetSetting(tx, key, row.value, value)))) throw new GuardConflict("the card's posting lease");
    return true;
  });
}

/** Gives the lease back, if it is still ours (one that expired and was taken over stays the new holder's). */
export async function releaseCardLease(db: Db, proposalId: string, owner = THIS_PROCESS): Promise<void> {
  const key = keyOf(proposalId);
  const row = await readCommitted(db, (tx) => tx.setting.findUnique({ where: { key } }));
  if (row === null || parseLease(row.value)?.owner !== owner) return;
  await transact(db, (tx) => tx.setting.deleteMany({ where: { key, value: row.value } }));
}
