import type { PositionState } from "./types";

const MINUTE_MS = 60_000;

/**
 * Snaps a venue's settlement stamp onto the whole minute it belongs to. Venues stamp funding a
 * few ms late (Binance: 1–11 ms after the hour), and booking must be keyed by the settlement, not
 * by the jitter, or one settlement could be booked twice. The grid is minutes, not hours: 1 h,
 * 4 h and 8 h venues (and any odd schedule) all settle on whole minutes, and the core must not
 * invent an hour grid the venue does not use. A stamp further than `toleranceMs` from a whole
 * minute is not jitter and is kept as it is.
 */
export function snapSettlement(ts: number, toleranceMs = 1_000): number {
  const minute = Math.round(ts / MINUTE_MS) * MINUTE_MS;
  return Math.abs(ts - minute) <= toleranceMs ? minute : ts;
}

/**
 * The settled funding prints a position still has to book: snapped, after the entry
 * (a position opened at the settlement instant does not take part), up to `now` (or the close),
 * not yet booked, one per settlement, in time order. The prints are the venue's own; there is no
 * computed 00/08/16 schedule here.
 */
export function fundingDue<P extends { readonly ts: number; readonly rate: number }>(
  position: Pick<PositionState, "entryTs" | "fundingSettlements">,
  prints: readonly P[],
  now: number,
  closedAt?: number,
): P[] {
  const until = closedAt === undefined ? now : Math.min(now, closedAt);
  const booked = new Set(position.fundingSettlements.map((ts) => snapSettlement(ts)));
  const due = new Map<number, P>();
  for (const print of prints) {
    const ts = snapSettlement(print.ts);
    if (ts <= position.entryTs || ts > until || booked.has(ts) || due.has(ts)) continue;
    due.set(ts, { ...print, ts });
  }
  return [...due.values()].sort((a, b) => a.ts - b.ts);
}
