/** Small numeric helpers shared by the core. Pure. */

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Sample standard deviation (n - 1). NaN for fewer than two values. */
export function sampleStd(values: readonly number[]): number {
  if (values.length < 2) return Number.NaN;
  const m = mean(values);
  let squares = 0;
  for (const v of values) squares += (v - m) * (v - m);
  return Math.sqrt(squares / (values.length - 1));
}

export function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** Rounds for display and journaling without float noise like 0.30000000000000004. */
export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** A price as a trader reads it: 6 significant digits, no float tail (0.630958, 62150.5). */
export function formatSignificant(value: number, digits = 6): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(digits))) : String(value);
}
