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
  const available = results.filter((r) => r.available);
  if (available.length === 0) return { ...first, venue: results.map((r) => r.venue).join("+") };
  const score = available.reduce((sum, r) => sum + r.score, 0) / available.length;
  const votes = new Set(available.map((r) => r.confirms).filter((d) => d !== "neutral"));
  const confirms: Direction = votes.size === 1 ? [...votes][0] ?? "neutral" : "neutral";
  return {
    stream: first.stream,
    venue: available.map((r) => r.venue).join("+"),
    available: true,
    score,
    confirms,
    numbers: venueNumbers(available),
    summary: available.map((r) => r.summary).join(" "),
  };
}

/**
 * Every venue's numbers under "venue.key"; built with a plain loop, it runs for every stream of
 * every symbol each cycle. The few dozen distinct keys are made once and reused (a memo of pure
 * string concatenations: the same inputs always give the same key).
 */
function venueNumbers(results: readonly StreamResult[]): Record<string, number> {
  const numbers: Record<string, number> = {};
  for (const r of results) for (const key in r.numbers) numbers[venueKey(r.venue, key)] = r.numbers[key] ?? Number.NaN;
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
  const available = streams.filter((s) => s.available);
  const weightOf = (s: StreamResult): number => params.weights[s.stream] ?? 1;
  const totalWeight = available.reduce((sum, s) => sum + weightOf(s), 0);
  const score = totalWeight > 0 ? clamp(available.reduce((sum, s) => sum + weightOf(s) * s.score, 0) / totalWeight, -1, 1) : 0;
  const leaning: Direction = score > 0 ? "long" : score < 0 ? "short" : "neutral";
  // A stream calibrated to zero weight has shown no edge: its vote does not count as confirmation.
  const confirming = available.filter((s) => s.confirms === leaning && leaning !== "neutral" && weightOf(s) > 0).map((s) => s.stream);
  const required = Math.max(1, Math.min(REQUIRED_CONFIRMATIONS[params.profile], streams.length));
  const fired = leaning !== "neutral" && confirming.length >= required && Math.abs(score) >= params.scoreThreshold;
  const direction: Direction = fired ? leaning : "neutral";
  const verdict = fired
    ? `${direction.toUpperCase()} for the next ${params.horizonHours}h: ${confirming.length} of ${streams.length} streams confirm (the ${params.profile} profile needs ${required}); weighted score ${round(score, 2)}.`
    : `No trade: ${confirming.length} of ${streams.length} streams confirm a direction (need ${required}); weighted score ${round(score, 2)}, threshold ${params.scoreThreshold}.`;
  return {
    direction,
    fired,
    score,
    confidence: fired ? round(Math.abs(score), 4) : 0,
    confirming,
    required,
    horizonHours: params.horizonHours,
    modelVersion: params.modelVersion,
    streams,
    explanation: [verdict, ...streams.map((s) => s.summary)].join("\n"),
  };
}
