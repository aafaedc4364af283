import type { Tx } from "./outbox";
import type { Db } from "./database";
import { compareAndSetSetting, ensureSettingRows, GuardConflict, readCommitted } from "./guard-rows";

/**
 * One trade in flight per symbol, across any number of processes: each symbol has a claim row
 * (Setting `trade.symbol.<symbol>`) holding the id of the last proposal made for it ("" before the
 * first). A new proposal takes the symbol by a compare-and-set from the holder it read to its own
 * id, in the transaction that inserts it; it reads first that the holder — and any other trade on
 * the symbol — is no longer active. A trade that stopped being active never becomes active again,
 * so "the holder I read is done" stays true until someone else takes the row, and of two
 * processes that read the same holder exactly one moves the row: the other's transaction is
 * abandoned and it reads again (and finds the symbol busy). No schema change: the key/value table.
 */

const PREFIX = "trade.symbol.";
const FREE = "";

export const claimKey = (symbol: string): string => `${PREFIX}${symbol}`;

export interface SymbolClaim {
  readonly symbol: string;
  /** The claim row's value as read: the last proposal's id, or "" — what `claimSymbol` compares against. */
  readonly holder: string;
  /** A trade on the symbol still in flight (the holder, or one made before claim rows existed), or null. */
  readonly busy: { readonly id: string; readonly status: string } | null;
}

/**
 * The claims of `symbols` as they stand, with any trade still in one of `activeStatuses` on them.
 * Read before the write transaction; the claim rows are created first when missing (each in a
 * transaction of its own, where a lost create race is harmless).
 */
export async function readSymbolClaims(db: Db, symbols: readonly string[], activeStatuses: readonly string[]): Promise<Map<string, SymbolClaim>> {
  const unique = [...new Set(symbols)];
  await ensureSettingRows(db, unique.map(claimKey), FREE);
  const { rows, active } = await readCommitted(db, async (tx) => {
    // Claim rows first, trades second (PostgreSQL reads each statement afresh): a trade inserted
    // after our read of its claim row has moved that row too, so our compare-and-set will fail.
    const claimRows = await tx.setting.findMany({ where: { key: { in: unique.map(claimKey) } } });
    const activeRows = await tx.proposal.findMany({
      where: { symbol: { in: unique }, status: { in: [...activeStatuses] } }, select: { id: true, symbol: true, status: true }, orderBy: { createdAt: "asc" },
    });
    return { rows: claimRows, active: activeRows };
  });
  const holderOf = new Map(rows.map((r) => [r.key, r.value]));
  return new Map(unique.map((symbol) => {
    const found = active.find((p) => p.symbol === symbol);
    return [symbol, { symbol, holder: holderOf.get(claimKey(symbol)) ?? FREE, busy: found === undefined ? null : { id: found.id, status: found.status } }];
  }));
}

/**
 * Takes `symbol` for `proposalId`, in the transaction that inserts the proposal and before it:
 * only if the claim row still holds the holder read. Throws GuardConflict when another process
 * took it first (the transaction is abandoned; read again).
 */
export async function claimSymbol(tx: Tx, claim: SymbolClaim, proposalId: string): Promise<void> {
  if (!(await compareAndSetSetting(tx, claimKey(claim.symbol), claim.holder, proposalId))) throw new GuardConflict(`the claim on ${claim.symbol}`);
}
