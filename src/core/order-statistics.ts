/**
 * Order statistics without a full sort. A median or a k-th smallest value is one element of the
 * multiset, whichever way it is found, so these return exactly what sorting and indexing would —
 * in O(n) expected time instead of O(n log n), and without allocating. Pure; the only state is
 * the caller's scratch array, which is reordered.
 */

/**
 * The k-th smallest (0-based) of `values[0, n)`, reordering that range in place (Hoare's
 * selection with a median-of-three pivot). Values must not be NaN: they would compare as neither
 * smaller nor larger, and a sort would put them last instead.
 */
export function selectKth(values: Float64Array, n: number, k: number): number {
  if (!(k >= 0 && k < n && n <= values.length)) throw new RangeError(`selectKth: k = ${k} is not inside [0, ${n}).`);
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // Median of three as the pivot: already-sorted windows (volatility barely moving) stay linear.
    const a = values[lo]!;
    const b = values[mid]!;
    const c = values[hi]!;
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const t = values[i]!;
        values[i] = values[j]!;
        values[j] = t;
        i++;
        j--;
      }
    }
    // Now [lo, j] ≤ pivot ≤ [i, hi], and anything strictly between j and i equals the pivot.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return values[k]!;
  }
  return values[k]!;
}

/**
 * The median of `values[0, n)` as `sorted[mid]` (odd n) or the mean of `sorted[mid − 1]` and
 * `sorted[mid]` (even n) of a numeric sort would give it; NaN when n is 0. Reorders the range.
 */
export function medianInPlace(values: Float64Array, n: number): number {
  if (n === 0) return Number.NaN;
  const mid = n >> 1;
  const upper = selectKth(values, n, mid);
  if (n % 2 === 1) return upper;
  // After selecting `mid`, every value before it is ≤ it: the largest of them is sorted[mid − 1].
  let lower = values[0]!;
  for (let i = 1; i < mid; i++) if (values[i]! > lower) lower = values[i]!;
  return (lower + upper) / 2;
}

/** How many of `values[0, n)` are strictly below `x` (a percentile's numerator). */
export function countBelow(values: Float64Array, n: number, x: number): number {
  let below = 0;
  for (let i = 0; i < n; i++) if (values[i]! < x) below += 1;
  return below;
}
