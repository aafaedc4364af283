import {
  ALL_STREAMS, calibrate, DEFAULT_CALIBRATION_PARAMS, horizonKey, monthStartOf, type CalibrationParams, type StreamFit,
} from "../core/calibration/calibrate";
import type { StreamName } from "../core/signals/types";
import { round } from "../core/stats";
import { engineParamsAt } from "./active-weights";
import type { App } from "./context";
import { sendText } from "./send-text";
import { calibrationHorizon, journalSamples, type JournalSample } from "./recalibrate";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** One model review request (a drawdown pause); `key` is unique per request and stable across job retries. */
export interface ModelReviewRequest {
  readonly reason: string;
  readonly key: string;
}

/** The weight set a review stored (read back from the database, so a retry reports the same thing). */
export interface ReviewedWeights {
  readonly version: string;
  /** When the review's weights take over (engineParamsAt: latest monthStart ≤ now wins). */
  readonly inForceFrom: number;
  readonly windowStart: number;
  /** Exclusive: the review's `now`. No signal or price at or after it was read. */
  readonly windowEnd: number;
  readonly horizonHours: number;
  readonly weights: Partial<Record<StreamName, number>>;
  readonly priors: readonly StreamName[];
  readonly samples: number;
  readonly fits: Partial<Record<StreamName, StreamFit>>;
}

export interface ModelReviewOutcome {
  /**
   * stored: a new weight set is in force from now until the next monthly fit;
   * existing: this review (same key) was stored before, e.g. a retried job: nothing new stored;
   * unchanged: too little history to measure any stream: nothing stored, the weights in force stay.
   */
  readonly status: "stored" | "existing" | "unchanged";
  readonly before: { readonly version: string; readonly weights: Partial<Record<StreamName, number>> };
  readonly review: ReviewedWeights | null;
  /** Labelled samples the fit saw (for `unchanged`, how few there were). */
  readonly samples: number;
  readonly text: string;
}

/** The version of a review: derived from its key only, so a retry (later `now`) finds the same row. */
export function reviewVersion(key: string, horizonHours: number): string {
  const safe = key.trim().replace(/[^A-Za-z0-9._-]+/g, "-").slice(0, 80) || "unnamed";
  return `ws-review-${safe}-h${horizonHours}`;
}

/**
 * The no-lookahead rule of a review, stated here rather than left to `calibrate`'s month cut:
 * a sample counts only if its decision time is in [now − window, now), its whole horizon is over
 * strictly before `now` (its exit price would otherwise be stamped at or after `now`), and it
 * has a label. `journalSamples(…, until = now)` already cannot see prices at or after `now`; this
 * filter makes the exclusion of samples whose horizon crosses `now` explicit.
 */
export function reviewSamples<S extends JournalSample>(samples: readonly S[], now: number, params: CalibrationParams): S[] {
  const from = now - params.windowDays * DAY_MS;
  const horizon = params.horizonHours * HOUR_MS;
  const key = horizonKey(params.horizonHours);
  return samples.filter((s) => s.ts >= from && s.ts + horizon < now && s.forwardReturns[key] !== null);
}

/**
 * A mid-month model review (DESIGN §1: after a 10% drawdown pause): refits the stream weights on
 * the 90 days before `now`, strictly out of sample, and stores them as a new weight set in force
 * from `now` until the next monthly fit (whose monthStart is later). Idempotent per request key.
 * When no stream has enough history to be measured, stores nothing and says so.
 */
export async function reviewModel(app: App, now: number, request: ModelReviewRequest): Promise<ModelReviewOutcome> {
  const params: CalibrationParams = { ...DEFAULT_CALIBRATION_PARAMS, horizonHours: calibrationHorizon(app.settings.engine.ensemble.horizonHours) };
  const version = reviewVersion(request.key, params.horizonHours);

  const existing = await app.db.weightSet.findUnique({ where: { version } });
  if (existing !== null) {
    const review = fromRow(existing);
    const before = await inForceBefore(app, review.inForceFrom);
    return { status: "existing", before, review, samples: review.samples, text: storedText(request.reason, before, review, params) };
  }

  const samples = reviewSamples(await journalSamples(app, now - params.windowDays * DAY_MS, now), now, params);
  // A review at exactly 00:00 on the 1st would tie with that month's monthly fit; one millisecond later wins the tie.
  const inForceFrom = now === monthStartOf(now) ? now + 1 : now;
  const before = await inForceBefore(app, inForceFrom);
  const fit = calibrate(samples, now, params);
  if (fit.priors.length === ALL_STREAMS.length) {
    return { status: "unchanged", before, review: null, samples: fit.samples, text: unchangedText(request.reason, now, fit.samples, before, params) };
  }

  await app.db.weightSet.upsert({
    where: { version },
    create: {
      version, monthStart: new Date(inForceFrom), windowStart: new Date(fit.windowStart), windowEnd: new Date(fit.windowEnd),
      horizonHours: fit.horizonHours, weightsJson: JSON.stringify(fit.weights),
      inSampleJson: JSON.stringify({ samples: fit.samples, streams: fit.inSample, review: { reason: request.reason, key: request.key } }),
      priorsJson: JSON.stringify(fit.priors), createdAt: new Date(now),
    },
    update: {},
  });
  const review = fromRow(await app.db.weightSet.findUniqueOrThrow({ where: { version } }));
  return { status: "stored", before, review, samples: review.samples, text: storedText(request.reason, before, review, params) };
}

/** Runs a review and tells the chats what changed, once per review key (the message goes through the outbox). */
export async function reviewModelAndNotify(app: App, now: number, request: ModelReviewRequest): Promise<ModelReviewOutcome> {
  const outcome = await reviewModel(app, now, request);
  await sendText(app, `model-review-${request.key}`, outcome.text, "system");
  return outcome;
}

async function inForceBefore(app: App, t: number): Promise<ModelReviewOutcome["before"]> {
  const { ensemble } = await engineParamsAt(app, t - 1);
  return { version: ensemble.modelVersion, weights: ensemble.weights };
}

interface WeightSetRow {
  version: string; monthStart: Date; windowStart: Date; windowEnd: Date; horizonHours: number;
  weightsJson: string; inSampleJson: string; priorsJson: string;
}

function fromRow(row: WeightSetRow): ReviewedWeights {
  const inSample = JSON.parse(row.inSampleJson) as { samples?: number; streams?: Partial<Record<StreamName, StreamFit>> };
  return {
    version: row.version, inForceFrom: row.monthStart.getTime(), windowStart: row.windowStart.getTime(), windowEnd: row.windowEnd.getTime(),
    horizonHours: row.horizonHours, weights: JSON.parse(row.weightsJson) as Partial<Record<StreamName, number>>,
    priors: JSON.parse(row.priorsJson) as StreamName[], samples: inSample.samples ?? 0, fits: inSample.streams ?? {},
  };
}

const at = (t: number): string => `${new Date(t).toISOString().slice(0, 16).replace("T", " ")} UTC`;
/** The engine's weight for a stream the weight set does not name is 1 (see ensemble `weightOf`). */
const weightOf = (weights: Partial<Record<StreamName, number>>, s: StreamName): number => weights[s] ?? 1;
const fmt = (w: number): string => String(round(w, 2));

function storedText(reason: string, before: ModelReviewOutcome["before"], review: ReviewedWeights, params: CalibrationParams): string {
  let moved = 0;
  const streams = ALL_STREAMS.map((s) => {
    const old = weightOf(before.weights, s);
    const next = weightOf(review.weights, s);
    if (round(old, 2) !== round(next, 2)) moved += 1;
    const change = round(old, 2) === round(next, 2) ? `${fmt(next)} (unchanged)` : `${fmt(old)} → ${fmt(next)}`;
    const fired = review.fits[s]?.fired ?? 0;
    return review.priors.includes(s) ? `${s} ${change}, prior: only ${fired} fires (needs ${params.minFired})` : `${s} ${change}`;
  });
  return `🔧 Model review (${reason}): weights ${before.version} → ${review.version}, in force from ${at(review.inForceFrom)} until the next monthly fit. ` +
    `Refitted on ${review.samples} labelled samples from ${at(review.windowStart)} to ${at(review.windowEnd)} (${review.horizonHours} h outcomes; nothing at or after the review read). ` +
    `${streams.join("; ")}.` +
    (moved === 0 ? " No weight moved." : "") +
    (review.priors.length ? ` Kept the prior for lack of data: ${review.priors.join(", ")}.` : "");
}

function unchangedText(reason: string, now: number, samples: number, before: ModelReviewOutcome["before"], params: CalibrationParams): string {
  const weights = ALL_STREAMS.map((s) => `${s} ${fmt(weightOf(before.weights, s))}`).join(", ");
  return `🔧 Model review (${reason}): nothing changed. Only ${samples} labelled samples in the ${params.windowDays} days before ${at(now)}, ` +
    `and no stream fired the ${params.minFired} times needed to measure it, so no new weights were stored; ` +
    `${before.version} stays in force (${weights}).`;
}
