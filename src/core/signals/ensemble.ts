import { clamp, round } from "../stats";
import type { Direction, StreamName, StreamResult } from "./types";

export type RiskProfile = "conservative" | "aggressive";

/** Streams that must agree before a signal fires (DESIGN §1). */
export const REQUIRED_CONFIRMATIONS: Readonly<Record<RiskProfile, number>> = { conservative: 3, aggressive: 2 };

export interface EnsembleParams {
  readonly profile: RiskProfile;
  /** Weight per stream; streams without a weight count 1 (the prior until calibration exists). */
  readonly weights: Readonly<Partial<Record<StreamName, number>>>;
  /** |weighted score| needed to fire, in [0, 1]. */
  readonly scoreThreshold: number;
  readonly horizonHours: number;
  /** Which weight set produced this decision; journaled with every signal. */
  readonly modelVersion: string;
}

export interface Decision {
  readonly direction: Direction;
  readonly fired: boolean;
  readonly score: number;
  readonly confidence: number;
  readonly confirming: readonly StreamName[];
  readonly required: number;
  readonly horizonHours: number;
  readonly modelVersion: string;
  readonly streams: readonly StreamResult[];
  readonly explanation: string;
}

/**
 * Folds one stream's per-venue results into one: the mean score of the venues that had data; it
 * confirms a direction when some venue confirms it and no venue confirms the opposite.
 */
export function combineVenues(results: readonly StreamResult[]): StreamResult | null {
  const first = results[0];
  if (first === undefined) return null;
  // Plain loops over the results (no filtered copies, no Set): this runs for every stream of every
  // symbol each cycle and at every decision time of a backtest. The sums and joins are as before.
  let count = 0;
  let total = 0;
  let vote: Direction = "neutral";
  let split = false;
  for (const r of results) {
    if (!r.available) continue;
    count += 1;
    total += r.score;
    if (r.confirms === "neutral") continue;
    if (vote === "neutral") vote = r.confirms;
    else if (r.confirms !== vote) split = true;
  }
  if (count === 0) return { ...first, venue: joinField(results, "venue", "+", false) };
  return {
    stream: first.stream,
    venue: joinField(results, "venue", "+", true),
    available: true,
    score: total / count,
    confirms: split ? "neutral" : vote,
    numbers: venueNumbers(results),
    summary: joinField(results, "summary", " ", true),
  };
}

/** One field of the results (of the available ones only, when asked) joined, through a reused list. */
function joinField(results: readonly StreamResult[], field: "venue" | "summary", separator: string, availableOnly: boolean): string {
  const parts = joinScratch;
  parts.length = 0;
  for (const r of results) if (!availableOnly || r.available) parts.push(r[field]);
  const joined = parts.join(separator);
  parts.length = 0;
  return joined;
}

/** Module scratch, one join at a time (the core is synchronous). */
const joinScratch: string[] = [];

/**
 * Every available venue's numbers under "venue.key"; built with a plain loop, it runs for every stream of
 * every symbol each cycle. The few dozen distinct keys are made once and reused (a memo of pure
 * string concatenations: the same inputs always give the same key).
 */
function venueNumbers(results: readonly StreamResult[]): Record<string, number> {
  const numbers: Record<string, number> = {};
  for (const r of results) {
    if (!r.available) continue;
    for (const key in r.numbers) numbers[venueKey(r.venue, key)] = r.numbers[key] ?? Number.NaN;
  }
  return numbers;
}

const VENUE_KEYS = new Map<string, Map<string, string>>();
function venueKey(venue: string, key: string): string {
  let keys = VENUE_KEYS.get(venue);
  if (keys === undefined) {
    keys = new Map();
    VENUE_KEYS.set(venue, keys);
  }
  let joined = keys.get(key);
  if (joined === undefined) {
    joined = `${venue}.${key}`;
    // Bounded: venues × stream number names, a few hundred at most; never grows per cycle.
    if (keys.size < 1_000) keys.set(key, joined);
  }
  return joined;
}

/**
 * The weighted vote. `streams` holds one combined result per stream the engine implements; the
 * profile's confirmation count is capped at that number, so while fewer than four streams exist
 * the engine can still fire (and the explanation says how many agreed out of how many).
 */
export function decide(streams: readonly StreamResult[], params: EnsembleParams): Decision {
  const { direction, fired, score, confirming, required } = vote(streams, params);
  const verdict = fired
    ? `${direction.toUpperCase()} for the next ${params.horizonHours}h: ${confirming.length} of ${streams.length} streams confirm (the ${params.profile} profile needs ${required}); weighted score ${round(score, 2)}.`
    : `No trade: ${confirming.length} of ${streams.length} streams confirm a direction (need ${required}); weighted score ${round(score, 2)}, threshold ${params.scoreThreshold}.`;
  return {
    direction,
    fired,
    score,
    confidence: voteConfidence(fired, score),
    confirming,
    required,
    horizonHours: params.horizonHours,
    modelVersion: params.modelVersion,
    streams,
    explanation: [verdict, ...streams.map((s) => s.summary)].join("\n"),
  };
}

/** The vote of `decide` without its words: what a walk-forward needs at each of thousands of decision times. */
export interface Vote {
  readonly direction: Direction;
  readonly fired: boolean;
  readonly score: number;
  readonly confirming: readonly StreamName[];
  readonly required: number;
}

/** A fired decision's confidence: |score| to 4 places; 0 when it did not fire. */
export const voteConfidence = (fired: boolean, score: number): number => (fired ? round(Math.abs(score), 4) : 0);

/**
 * The weighted vote itself (`decide` wraps it with the explanation): the same sums in the same
 * order, so a backtest that asks only for the vote gets the numbers `decide` would journal.
 * Plain loops: the walk-forward calls it for every decision time of every month's windows.
 */
export function vote(streams: readonly StreamResult[], params: EnsembleParams): Vote {
  let totalWeight = 0;
  for (const s of streams) if (s.available) totalWeight += params.weights[s.stream] ?? 1;
  let weighted = 0;
  for (const s of streams) if (s.available) weighted += (params.weights[s.stream] ?? 1) * s.score;
  const score = totalWeight > 0 ? clamp(weighted / totalWeight, -1, 1) : 0;
  const leaning: Direction = score > 0 ? "long" : score < 0 ? "short" : "neutral";
  // A stream calibrated to zero weight has shown no edge: its vote does not count as confirmation.
  const confirming: StreamName[] = [];
  if (leaning !== "neutral") for (const s of streams) if (s.available && s.confirms === leaning && (params.weights[s.stream] ?? 1) > 0) confirming.push(s.stream);
  const required = Math.max(1, Math.min(REQUIRED_CONFIRMATIONS[params.profile], streams.length));
  const fired = leaning !== "neutral" && confirming.length >= required && Math.abs(score) >= params.scoreThreshold;
  return { direction: fired ? leaning : "neutral", fired, score, confirming, required };
}
