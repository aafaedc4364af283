/** Searches over lists kept oldest first. Pure. */

/** Index of the first item stamped at or after `ts` (items oldest first); the length when none is. */
export function firstAtOrAfter(items: readonly { readonly ts: number }[], ts: number): number {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((items[mid]?.ts ?? Number.POSITIVE_INFINITY) < ts) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** The same over bare stamps (a column of epoch ms, oldest first). */
export function firstStampAtOrAfter(stamps: readonly number[], ts: number): number {
  let low = 0;
  let high = stamps.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((stamps[mid] ?? Number.POSITIVE_INFINITY) < ts) low = mid + 1;
    else high = mid;
  }
  return low;
}
