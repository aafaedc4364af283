import { DelayedError, UnrecoverableError, Worker, type ConnectionOptions, type Job, type Processor, type WorkerOptions } from "bullmq";
import { isDatabaseUnavailable } from "../core/database-errors";
import type { Logger } from "../log";
import type { OutageLog } from "./outage-log";
import { perpbotRepeatStrategy } from "./repeat-strategy";
import type { Db } from "../store/database";
import { markIntentDone, markIntentFailed, noteIntentError } from "../store/outbox";
import { QUEUE, retryAfterBackoff, type QueueName } from "./queues";

export interface WorkerSpec {
  readonly queue: QueueName;
  readonly processor: Processor;
  /** Jobs of this queue run one at a time unless said otherwise: they touch the same rows. */
  readonly concurrency?: number;
  /**
   * Order jobs are never re-run blindly after a crash (0): a stalled one fails, and the reconciler
   * hands it back, to a processor that looks the order up before sending anything.
   */
  readonly maxStalledCount?: number;
}

export interface RunningWorkers {
  /** Waits for active jobs to finish, then disconnects: no job is left stalled. */
  close(): Promise<void>;
  /** Drops active jobs on the floor, as a crash would (tests only); their locks expire and they stall. */
  kill(): Promise<void>;
}

/**
 * Lock tuning. A job whose worker died is noticed once its lock expires: 15 s here (BullMQ's
 * default is 30 s, checked every 30 s, so up to a minute of silence), checked every 5 s.
 */
/**
 * Notices run several at once: a notice waiting on one Telegram chat's pace (or failing on its
 * flood control) must not hold back the next notice's copies on Discord or on other chats. Two
 * jobs for one card are safe together (the notifier's versioned edits).
 */
const DEFAULT_CONCURRENCY: Partial<Record<QueueName, number>> = { [QUEUE.notify]: 64 };

export type LockOptions = Pick<WorkerOptions, "lockDuration" | "stalledInterval">;
export const DEFAULT_LOCK: LockOptions = { lockDuration: 15_000, stalledInterval: 5_000 };

interface IntentJobData { readonly intentId?: string }

/**
 * Marks the job's outbox intent done when its processor succeeds, and failed when it gives up
 * for good (the last attempt, or an UnrecoverableError); a skipped intent (done already) runs nothing.
 */
function withIntent(db: Db, clock: () => number, processor: Processor): Processor {
  return async (job: Job<IntentJobData>, token?: string) => {
    const intentId = job.data.intentId;
    if (intentId !== undefined) {
      const row = await db.intent.findUnique({ where: { id: intentId }, select: { status: true } });
      if (row !== null && row.status !== "pending") return { skipped: `intent ${row.status}` };
    }
    try {
      const result: unknown = await processor(job, token);
      if (intentId !== undefined) await markIntentDone(db, intentId, clock());
      return result;
    } catch (error) {
      // A simulated crash (npm run chaos) must leave the outbox exactly as a real one would.
      if (error instanceof Error && error.name === "SimulatedCrash") throw error;
      // The job moved itself back to the queue to run later (not a failure): nothing to note.
      if (error instanceof DelayedError) throw error;
      if (intentId !== undefined) {
        const message = error instanceof Error ? error.message : String(error);
        const final = error instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        await (final ? markIntentFailed(db, intentId, message, clock()) : noteIntentError(db, intentId, message)).catch(() => undefined);
      }
      throw error;
    }
  };
}

export function startWorkers(
  specs: readonly WorkerSpec[],
  options: {
    connection: ConnectionOptions; prefix: string; logger: Logger; db: Db; clock: () => number; lock?: LockOptions; onStalled?: () => void;
    /** Redis connection errors go here. */
    outage?: OutageLog;
    /** Jobs that failed because the database is unavailable go here, not one line each (they are retried as usual). */
    databaseOutage?: OutageLog;
  },
): RunningWorkers {
  const workers = specs.map((spec) => {
    const worker = new Worker(spec.queue, withIntent(options.db, options.clock, spec.processor), {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: spec.concurrency ?? DEFAULT_CONCURRENCY[spec.queue] ?? 1,
      // Retries never sooner than the chat platform asked (queues.ts, RETRY_AFTER); a scheduler's
      // next job, when this worker takes its current one, as the queues compute it.
      settings: { backoffStrategy: retryAfterBackoff, repeatStrategy: perpbotRepeatStrategy },
      ...DEFAULT_LOCK,
      ...options.lock,
      ...(spec.maxStalledCount !== undefined ? { maxStalledCount: spec.maxStalledCount } : {}),
    });
    worker.on("failed", (job: Job | undefined, error: Error) => {
      if (options.databaseOutage && isDatabaseUnavailable(error)) {
        options.databaseOutage.failed(error);
        return;
      }
      // The processor already explained the failure in plain words; this line only tracks the job.
      options.logger.warn({ queue: spec.queue, jobId: job?.id, attempt: job?.attemptsMade, error: error.message.slice(0, 160) }, "job failed");
      if (/stalled/i.test(error.message)) options.onStalled?.();
    });
    worker.on("stalled", (jobId: string) => {
      options.logger.warn({ queue: spec.queue, jobId }, "a job's worker stopped mid-way (crash or kill); recovering it");
      options.onStalled?.();
    });
    // Connection errors repeat several times a second while Redis is away: the outage log keeps it to a few lines.
    worker.on("error", (error: Error) => (options.outage ? options.outage.failed(error) : options.logger.error({ queue: spec.queue, error: error.message }, "worker error")));
    return worker;
  });
  return {
    async close() {
      await Promise.all(workers.map((w) => w.close()));
    },
    async kill() {
      await Promise.all(workers.map((w) => w.close(true)));
    },
  };
}
