import { Worker, type ConnectionOptions, type Job, type Processor, type WorkerOptions } from "bullmq";
import type { Logger } from "../log";
import type { QueueName } from "./queues";

export interface WorkerSpec {
  readonly queue: QueueName;
  readonly processor: Processor;
  /** Jobs of this queue run one at a time unless said otherwise: they touch the same rows. */
  readonly concurrency?: number;
}

export interface RunningWorkers {
  /** Waits for active jobs to finish, then disconnects: no job is left stalled. */
  close(): Promise<void>;
  /** Drops active jobs on the floor, as a crash would (tests only); their locks expire and they stall. */
  kill(): Promise<void>;
}

/** Lock tuning; BullMQ's defaults (30 s lock, stalled check every 30 s) unless a test shortens them. */
export type LockOptions = Pick<WorkerOptions, "lockDuration" | "stalledInterval">;

export function startWorkers(specs: readonly WorkerSpec[], options: { connection: ConnectionOptions; prefix: string; logger: Logger; lock?: LockOptions }): RunningWorkers {
  const workers = specs.map((spec) => {
    const worker = new Worker(spec.queue, spec.processor, {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: spec.concurrency ?? 1,
      ...options.lock,
    });
    worker.on("failed", (job: Job | undefined, error: Error) => {
      // The processor already explained the failure in plain words; this line only tracks the job.
      options.logger.warn({ queue: spec.queue, jobId: job?.id, attempt: job?.attemptsMade, error: error.message.slice(0, 160) }, "job failed");
    });
    worker.on("error", (error: Error) => options.logger.error({ queue: spec.queue, error: error.message }, "worker error"));
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
