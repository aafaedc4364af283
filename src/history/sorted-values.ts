/**
 * A multiset of numbers kept sorted in a typed array, for a window that slides a few values at a
 * time: inserting or removing one is a binary search and a move of the values after it (no
 * allocation), and order statistics are read off by index. Values must not be NaN.
 */
export class SortedValues {
  private values: Float64Array;
  size = 0;

  constructor(capacity: number) {
    this.values = new Float64Array(Math.max(1, capacity));
  }

  clear(): void {
    this.size = 0;
  }

  insert(value: number): void {
    if (this.size === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    const at = this.countBelow(value);
    this.values.copyWithin(at + 1, at, this.size);
    this.values[at] = value;
    this.size += 1;
  }

  /** Removes one copy of `value`; throws when there is none (the caller's bookkeeping is wrong). */
  remove(value: number): void {
    const at = this.countBelow(value);
    if (at >= this.size || this.values[at] !== value) throw new Error(`SortedValues.remove: ${value} is not held.`);
    this.values.copyWithin(at, at + 1, this.size);
    this.size -= 1;
  }

  /** How many values are strictly below `value` (written out: a predicate call per step boxed the numbers). */
  countBelow(value: number): number {
    let low = 0;
    let high = this.size;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.values[mid] as number) < value) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** The i-th smallest value (0-based), i < size. */
  at(i: number): number {
    return this.values[i] as number;
  }

  /** The k-th smallest (0-based) of these values together with `extra` (sorted ascending, a handful). */
  kthWith(extra: readonly number[], k: number): number {
    if (!(k >= 0 && k < this.size + extra.length)) throw new RangeError(`SortedValues.kthWith: k = ${k} is not inside [0, ${this.size + extra.length}).`);
    if (extra.length === 0) return this.values[k] as number;
    // The k-th smallest of a union is the least, over the ways of taking k + 1 values from the
    // front of both lists, of the largest value taken: O(extra) instead of a merge walk.
    let best = Number.POSITIVE_INFINITY;
    for (let j = Math.max(0, k + 1 - this.size); j <= Math.min(extra.length, k + 1); j++) {
      const i = k + 1 - j;
      const fromValues = i === 0 ? Number.NEGATIVE_INFINITY : (this.values[i - 1] as number);
      const fromExtra = j === 0 ? Number.NEGATIVE_INFINITY : (extra[j - 1] as number);
      best = Math.min(best, Math.max(fromValues, fromExtra));
    }
    return best;
  }
}
