import type { AssetHistory } from "../../src/history/replay";
import { HOUR_MS } from "../../src/history/replay";

/** The rows of an ascending series that pass `keep` (a prefix: binary search, then one slice). */
function prefix<T extends { readonly ts: number }>(series: readonly T[], keep: (ts: number) => boolean): T[] {
  let lo = 0;
  let hi = series.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keep(series[mid]?.ts ?? Infinity)) lo = mid + 1;
    else hi = mid;
  }
  return series.slice(0, lo);
}

/**
 * What existed at `cut`: candles closed by then (open ts + 1 h ≤ cut) and the funding prints
 * stamped at or before it — or, with `printsAtCut: "excluded"`, strictly before it (a month's fit
 * must not see even the print that settles at 00:00 on the 1st).
 */
export function historyKnownAt<A extends string>(history: AssetHistory<A>, cut: number, options: { printsAtCut?: "included" | "excluded" } = {}): AssetHistory<A> {
  const printKept = options.printsAtCut === "excluded" ? (ts: number) => ts < cut : (ts: number) => ts <= cut;
  return {
    ...history,
    perp: prefix(history.perp, (ts) => ts <= cut - HOUR_MS),
    spot: prefix(history.spot, (ts) => ts <= cut - HOUR_MS),
    funding: history.funding.map((f) => ({ ...f, prints: prefix(f.prints, printKept) })),
  };
}
