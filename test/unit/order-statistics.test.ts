import { describe, expect, it } from "vitest";
import { countBelow, medianInPlace, selectKth } from "../../src/core/order-statistics";
import { seededRandom } from "../../src/core/random";

/** Random arrays with the shapes that trip selection up: ties, runs, sorted, reversed, constant. */
function samples(seed: number): Float64Array[] {
  const random = seededRandom(seed);
  const out: Float64Array[] = [];
  for (const n of [1, 2, 3, 4, 5, 7, 8, 16, 31, 100, 719, 720]) {
    out.push(Float64Array.from({ length: n }, () => random() * 2 - 1));
    out.push(Float64Array.from({ length: n }, () => Math.floor(random() * 4))); // many ties
    out.push(Float64Array.from({ length: n }, (_, i) => i)); // sorted
    out.push(Float64Array.from({ length: n }, (_, i) => n - i)); // reversed
    out.push(new Float64Array(n).fill(0.0001)); // pinned
  }
  return out;
}

const sortedMedian = (values: Float64Array): number => {
  const sorted = Float64Array.from(values).sort();
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

describe("order statistics without sorting", () => {
  it("selectKth returns the element a sort puts at k, for every k of seeded random arrays", () => {
    for (const seed of [1, 2, 3]) {
      for (const values of samples(seed)) {
        const sorted = Float64Array.from(values).sort();
        for (let k = 0; k < values.length; k += Math.max(1, Math.floor(values.length / 17))) {
          const scratch = Float64Array.from(values);
          expect(selectKth(scratch, values.length, k)).toBe(sorted[k]);
          // Only reordered: the same multiset is still there.
          expect(Float64Array.from(scratch).sort()).toEqual(sorted);
        }
      }
    }
  });

  it("medianInPlace equals the sorted median exactly (odd and even lengths), and reads only [0, n)", () => {
    for (const seed of [4, 5]) {
      for (const values of samples(seed)) {
        const scratch = new Float64Array(values.length + 3).fill(-1e9);
        scratch.set(values);
        expect(medianInPlace(scratch, values.length)).toBe(sortedMedian(values));
        expect(Array.from(scratch.subarray(values.length))).toEqual([-1e9, -1e9, -1e9]);
      }
    }
    expect(medianInPlace(new Float64Array(4), 0)).toBeNaN();
  });

  it("countBelow counts strictly smaller values", () => {
    const random = seededRandom(6);
    const values = Float64Array.from({ length: 500 }, () => Math.floor(random() * 50) / 10);
    for (const x of [-1, 0, 0.5, 2.5, 4.9, 5]) expect(countBelow(values, 400, x)).toBe(Array.from(values.subarray(0, 400)).filter((v) => v < x).length);
  });

  it("refuses a k outside the range", () => {
    expect(() => selectKth(new Float64Array(3), 3, 3)).toThrow(RangeError);
  });
});
