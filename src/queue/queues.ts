import { Queue, type ConnectionOptions, type JobsOptions } from "bullmq";
import type { Notice } from "../app/context";
import { cronPatternOf, type DigestSchedule } from "../core/digest-slots";
import type { ExitReason } from "../core/trading/intents";
import type { Logger } from "../log";
import type { OutageLog } from "./outage-log";
import { perpbotRepeatStrategy } from "./repeat-strategy";

/** Queue names; one job processor per queue, in jobs/. */
export const QUEUE = {
  poll: "market-poll",
  signals: "signals",
  execution: "execution",
  monitor: "monitor",
  notify: "notify",
  calibration: "calibration",
  digest: "digest",
} as const;
export type QueueName = (typeof QUEUE)[keyof typeof QUEUE];

/**
 * Job data. No secrets, ever: jobs sit in Redis in plain text. Jobs that carry out an outbox
 * intent carry its id (which is also the job id) and mark it done when they are.
 */
export interface JobData {
  [QUEUE.poll]: { readonly reason: string };
  [QUEUE.signals]: { readonly pollJobId: string };
  [QUEUE.execution]: {
    readonly intentId: string;
    readonly proposalId: string;
    /** execute: send the entry; resolve: look an unknown entry up; close: send the exit. */
    readonly action: "execute" | "resolve" | "close" | "protect";
    readonly reason?: ExitReason;
  };
  [QUEUE.monitor]: { readonly reason: string };
  [QUEUE.notify]: Notice & { readonly intentId?: string };
  [QUEUE.calibration]: { readonly reason: string; readonly key?: string; readonly intentId?: string };
  /** Which slot is due is worked out from the clock when the job runs, never carried here. */
  [QUEUE.digest]: { readonly reason: string };
}

/**
 * A custom backoff type: exponential from `delay`, but never sooner than the failure's own
 * retry-after (a DeliveryError's retryAfterMs: Telegram's retry_after, which Telegram extends when
 * a request comes early). BullMQ calls the worker's backoffStrategy only for types it does not
 * know itself, so this one is handled by retryAfterBackoff, which every worker is given.
 */
export const RETRY_AFTER = "retry-after";

/** Margin on top of the platform's retry-after: its clock and ours are not the same. */
const RETRY_AFTER_MARGIN_MS = 100;

/** BullMQ's `settings.backoffStrategy` (attemptsMade counts the attempt that just failed). */
export function retryAfterBackoff(attemptsMade: number, type?: string, error?: Error, job?: { opts: JobsOptions }): number {
  const backoff = job?.opts.backoff;
  const base = typeof backoff === "object" ? backoff.delay ?? 1_000 : typeof backoff === "number" ? backoff : 1_000;
  const exponential = Math.round(2 ** Math.max(0, attemptsMade - 1) * base);
  if (type !== RETRY_AFTER) return exponential;
  const asked = retryAfterOf(error);
  return asked === null ? exponential : Math.max(exponential, asked + RETRY_AFTER_MARGIN_MS);
}

/** Duck-typed: the queue layer does not import the chat layer (DeliveryError lives in src/chat). */
function retryAfterOf(error: unknown): number | null {
  if (typeof error !== "object" || error === null || !("retryAfterMs" in error)) return null;
  const ms = error.retryAfterMs;
  return typeof ms === "number" && Number.isFinite(ms) && ms > 0 ? ms : null;
}

const KEEP = { removeOnComplete: { count: 500 }, removeOnFail: { count: 1000 } } satisfies JobsOptions;

export const JOB_OPTIONS: Record<QueueName, JobsOptions> = {
  // Market data: retry with growing pauses when venues are down; the next scheduled poll comes anyway.
  [QUEUE.poll]: { ...KEEP, attempts: 4, backoff: { type: "exponential", delay: 15_000 } },
  [QUEUE.signals]: { ...KEEP, attempts: 3, backoff: { type: "exponential", delay: 2_000 } },
  // Order jobs look their order up by client id before sending anything, so a retry cannot
  // double-trade; a stalled one is not re-run blindly (the worker sets maxStalledCount 0) but
  // handed back by the reconciler, which re-runs it through that same lookup.
  [QUEUE.execution]: { ...KEEP, attempts: 6, backoff: { type: "exponential", delay: 5_000 } },
  [QUEUE.monitor]: { ...KEEP, attempts: 3, backoff: { type: "exponential", delay: 2_000 } },
  // Telegram and Discord may rate-limit us: keep trying for a while (1 s doubling, ~4 min in all)
  // before an alert is recorded as undelivered; never sooner than the platform asked (retryAfterBackoff).
  [QUEUE.notify]: { ...KEEP, attempts: 8, backoff: { type: RETRY_AFTER, delay: 1_000 } },
  [QUEUE.calibration]: { ...KEEP, attempts: 3, backoff: { type: "exponential", delay: 60_000 } },
  // A digest that failed (database busy) is worth a few quick retries; its slot key keeps it once-only.
  [QUEUE.digest]: { ...KEEP, attempts: 4, backoff: { type: "exponential", delay: 30_000 } },
};

export type Queues = { readonly [K in QueueName]: Queue<JobData[K]> };

/** `outage`: connection errors go there (one line when Redis goes, one a minute, one when it is back) instead of one line each. */
export function createQueues(connection: ConnectionOptions, prefix: string, logger?: Logger, outage?: OutageLog): Queues {
  const make = <K extends QueueName>(name: K): Queue<JobData[K]> => {
    // The schedulers' next firing without cron-parser for UTC patterns (repeat-strategy.ts: ICU's memory).
    const queue = new Queue<JobData[K]>(name, { connection, prefix, defaultJobOptions: JOB_OPTIONS[name], settings: { repeatStrategy: perpbotRepeatStrategy } });
    // Without a listener BullMQ prints raw stack traces on every Redis hiccup; one line each instead.
    queue.on("error", (error: Error) => (outage ? outage.failed(error) : logger?.warn({ queue: name, error: error.message }, "queue connection problem")));
    return queue;
  };
  return {
    [QUEUE.poll]: make(QUEUE.poll),
    [QUEUE.signals]: make(QUEUE.signals),
    [QUEUE.execution]: make(QUEUE.execution),
    [QUEUE.monitor]: make(QUEUE.monitor),
    [QUEUE.notify]: make(QUEUE.notify),
    [QUEUE.calibration]: make(QUEUE.calibration),
    [QUEUE.digest]: make(QUEUE.digest),
  };
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(Object.values(queues).map((q: Queue) => q.close()));
}

export const SCHEDULER_IDS = { poll: "poll-market", monitor: "monitor-positions", calibration: "monthly-recalibration" } as const;

/** One scheduler per digest time: `digest-0800` fires at 08:00 in the digest's zone. */
export const digestSchedulerId = (localTime: string): string => `digest-${localTime.replace(":", "")}`;

/** What the job schedulers are made from; `digest` absent: no digest schedulers (and any left are removed). */
export interface SchedulePlan {
  readonly pollEveryMs: number;
  readonly monitorEveryMs: number;
  readonly digest?: DigestSchedule;
}

/**
 * Whether every scheduler is still in Redis. A FLUSHALL or a Redis restart without persistence
 * deletes them, and nothing in BullMQ re-creates them: the reconciler asks this every pass.
 */
export async function schedulersPresent(queues: Queues, plan?: SchedulePlan): Promise<boolean> {
  const found = await Promise.all([
    queues[QUEUE.poll].getJobScheduler(SCHEDULER_IDS.poll),
    queues[QUEUE.monitor].getJobScheduler(SCHEDULER_IDS.monitor),
    queues[QUEUE.calibration].getJobScheduler(SCHEDULER_IDS.calibration),
    ...(plan?.digest?.times ?? []).map((time) => queues[QUEUE.digest].getJobScheduler(digestSchedulerId(time))),
  ]);
  return found.every((s) => s !== undefined && s !== null);
}

/** Idempotent across restarts: the same scheduler ids are updated in place, never duplicated. */
export async function upsertSchedulers(queues: Queues, options: SchedulePlan): Promise<void> {
  await queues[QUEUE.poll].upsertJobScheduler(SCHEDULER_IDS.poll, { every: options.pollEveryMs }, { name: "poll", data: { reason: "schedule" }, opts: JOB_OPTIONS[QUEUE.poll] });
  await queues[QUEUE.monitor].upsertJobScheduler(SCHEDULER_IDS.monitor, { every: options.monitorEveryMs }, { name: "monitor", data: { reason: "schedule" }, opts: JOB_OPTIONS[QUEUE.monitor] });
  // 00:10 UTC on the 1st: the month's weights are fitted on the 90 days before it.
  await queues[QUEUE.calibration].upsertJobScheduler(SCHEDULER_IDS.calibration, { pattern: "0 10 0 1 * *", tz: "UTC" }, { name: "recalibrate", data: { reason: "monthly" }, opts: JOB_OPTIONS[QUEUE.calibration] });
  await upsertDigestSchedulers(queues, options.digest);
}

/**
 * One cron scheduler per configured time, in the digest's zone (the cron library follows its
 * daylight-saving changes; the job itself decides which slot is due, so an odd firing on a
 * change-over day still sends each slot once). Schedulers for times no longer configured are
 * removed: changing DIGEST_TIMES across a restart replaces them rather than adding to them.
 */
async function upsertDigestSchedulers(queues: Queues, digest: DigestSchedule | undefined): Promise<void> {
  const queue = queues[QUEUE.digest];
  const wanted = new Set((digest?.times ?? []).map(digestSchedulerId));
  for (const scheduler of await queue.getJobSchedulers()) {
    if (!wanted.has(scheduler.key)) await queue.removeJobScheduler(scheduler.key);
  }
  for (const time of digest?.times ?? []) {
    await queue.upsertJobScheduler(digestSchedulerId(time), { pattern: cronPatternOf(time), tz: digest?.zone ?? "UTC" }, { name: "digest", data: { reason: `schedule ${time}` }, opts: JOB_OPTIONS[QUEUE.digest] });
  }
}
