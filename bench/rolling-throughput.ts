import { BollingerBands, SMA } from "trading-signals";
import { RollingWindow } from "../src/core/rolling";
import { mean, sampleStd } from "../src/core/stats";

/**
 * Rolling mean + standard deviation per update: ours against trading-signals in the same process.
 * trading-signals 8 has no standalone standard-deviation indicator; its streaming rolling σ is the
 * one inside BollingerBands (middle = SMA, upper = middle + k·σ, population σ). With k = 1 one
 * BollingerBands gives both numbers per `add`, which is the cheapest fair way to ask it for what
 * RollingWindow gives; SMA alone is timed too (mean only) for reference. Version 8 dropped big.js
 * and with it the Faster* variants: there is only the plain-number implementation to compare.
 *
 * Every loop reads both numbers after each update and folds them into a checksum, so the work
 * cannot be optimised away, and each loop is its own function so that it stays monomorphic.
 */

export interface Rate {
  /** Median updates per wall-clock second. */
  readonly perSecond: number;
  /**
   * Median updates per CPU-second of this process. On a machine shared with other work the wall
   * clock also counts the time slices others took from our core; CPU time does not.
   */
  readonly perCpuSecond: number;
  readonly runs: number;
  readonly updatesPerRun: number;
}

export interface Elapsed {
  readonly wall: number;
  readonly cpu: number;
}

interface Start {
  readonly wall: bigint;
  readonly cpu: NodeJS.CpuUsage;
}

function start(): Start {
  return { wall: process.hrtime.bigint(), cpu: process.cpuUsage() };
}

function stop(from: Start): Elapsed {
  const wall = Number(process.hrtime.bigint() - from.wall) / 1e9;
  const cpu = process.cpuUsage(from.cpu);
  return { wall, cpu: (cpu.user + cpu.system) / 1e6 };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Keeps checksums observable: a loop whose result nobody reads could be dropped by the JIT. */
let sink = 0;
export function checksumSink(): number {
  return sink;
}

/** Replays the series (wrapping) through a fresh window: the first n values untimed, then `updates`. */
export function timeRollingWindow(series: Float64Array, n: number, updates: number): { elapsed: Elapsed; window: RollingWindow; lastIndex: number } {
  const w = new RollingWindow(n);
  const length = series.length;
  let k = 0;
  for (; k < n; k++) w.push(series[k % length]!);
  k %= length;
  let acc = 0;
  const from = start();
  for (let i = 0; i < updates; i++) {
    w.push(series[k]!);
    if (++k === length) k = 0;
    acc += w.mean() + w.std();
  }
  const elapsed = stop(from);
  sink += acc;
  return { elapsed, window: w, lastIndex: (k + length - 1) % length };
}

export function timeBollingerBands(series: Float64Array, n: number, updates: number): Elapsed {
  const bands = new BollingerBands(n, 1);
  const length = series.length;
  let k = 0;
  for (; k < n; k++) bands.add(series[k % length]!);
  k %= length;
  let acc = 0;
  const from = start();
  for (let i = 0; i < updates; i++) {
    const r = bands.add(series[k]!);
    if (++k === length) k = 0;
    if (r !== null) acc += r.middle + (r.upper - r.middle);
  }
  const elapsed = stop(from);
  sink += acc;
  return elapsed;
}

export function timeSma(series: Float64Array, n: number, updates: number): Elapsed {
  const sma = new SMA(n);
  const length = series.length;
  let k = 0;
  for (; k < n; k++) sma.add(series[k % length]!);
  k %= length;
  let acc = 0;
  const from = start();
  for (let i = 0; i < updates; i++) {
    const r = sma.add(series[k]!);
    if (++k === length) k = 0;
    if (r !== null) acc += r;
  }
  const elapsed = stop(from);
  sink += acc;
  return elapsed;
}

/** Median rates over `runs` timed runs after one untimed warm-up run. */
export function measure(run: (updates: number) => Elapsed, updatesPerRun: number, runs: number): Rate {
  run(Math.min(updatesPerRun, 5_000_000));
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < runs; r++) {
    const elapsed = run(updatesPerRun);
    wall.push(updatesPerRun / elapsed.wall);
    cpu.push(updatesPerRun / elapsed.cpu);
  }
  return { perSecond: median(wall), perCpuSecond: median(cpu), runs, updatesPerRun };
}

/**
 * For a slow library: warm it up (doubling the run until one takes a quarter of the target, so
 * the JIT has optimised it), then size each timed run to about `targetSeconds`.
 */
export function measureCalibrated(run: (updates: number) => Elapsed, runs: number, targetSeconds: number): Rate {
  let updates = 2_000;
  let elapsed = run(updates);
  while (elapsed.wall < targetSeconds / 4 && updates < 20_000_000) {
    updates *= 2;
    elapsed = run(updates);
  }
  const sized = Math.max(2_000, Math.min(20_000_000, Math.round((updates / elapsed.wall) * targetSeconds)));
  return measure(run, sized, runs);
}

/** Naive two-pass mean and sample σ of the n values ending at `last` (wrapping). */
export function naiveAt(series: Float64Array, last: number, n: number): { mean: number; std: number } {
  const values: number[] = [];
  for (let j = last - n + 1; j <= last; j++) values.push(series[((j % series.length) + series.length) % series.length]!);
  return { mean: mean(values), std: sampleStd(values) };
}

/**
 * Worst relative difference between ours and the library over `count` updates. The library's σ is
 * the population one (÷ n): it is rescaled to the sample σ (÷ n − 1) that RollingWindow reports.
 */
export function agreement(series: Float64Array, n: number, count: number): { mean: number; std: number } {
  const ours = new RollingWindow(n);
  const bands = new BollingerBands(n, 1);
  const toSample = Math.sqrt(n / (n - 1));
  let worstMean = 0;
  let worstStd = 0;
  for (let i = 0; i < count; i++) {
    const x = series[i % series.length]!;
    ours.push(x);
    const r = bands.add(x);
    if (r === null) continue;
    const libStd = (r.upper - r.middle) * toSample;
    worstMean = Math.max(worstMean, Math.abs(ours.mean() - r.middle) / Math.abs(r.middle));
    worstStd = Math.max(worstStd, Math.abs(ours.std() - libStd) / libStd);
  }
  return { mean: worstMean, std: worstStd };
}
