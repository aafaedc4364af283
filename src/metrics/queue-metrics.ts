import type { JobType, Queue } from "bullmq";
import type { Queues } from "../queue/queues";
import { gauge, type MetricsSource } from "./metrics-source";

/** Every state BullMQ counts, so a queue's depth reads the same in Prometheus as in the dashboard. */
const STATES = ["waiting", "prioritized", "active", "delayed", "waiting-children", "failed", "completed"] as const satisfies readonly JobType[];
/** Newest finished jobs sampled per queue and state for the durations (BullMQ keeps 500 completed and 1,000 failed). */
export const DURATION_SAMPLE = 100;
const QUANTILES = [0.5, 0.95] as const;

interface QueueReading {
  readonly name: string;
  readonly counts: Readonly<Record<string, number>>;
  /** Seconds each sampled job's last attempt ran (finishedOn − processedOn). */
  readonly durations: readonly number[];
}

/**
 * The BullMQ queues in the shared Redis: jobs per queue and state (failed included), and how long
 * recent jobs ran. Durations come from the timestamps BullMQ stores on the jobs it keeps (two
 * fields read per job, no job data), so they cover whichever worker process ran them. A Redis
 * that is not connected fails the source at once instead of queueing commands until it returns.
 */
export function queueMetrics(queues: Queues): MetricsSource {
  return {
    name: "queues",
    read: async () => {
      const readings = await Promise.all(Object.values(queues).map((q: Queue) => readQueue(q)));
      return (registry) => {
        const depth = gauge(registry, "perpbot_queue_jobs", "Jobs per BullMQ queue and state (getJobCounts).", ["queue", "state"]);
        const duration = gauge(registry, "perpbot_queue_job_duration_seconds",
          `Run time of the latest attempt of the newest ${DURATION_SAMPLE} completed and ${DURATION_SAMPLE} failed jobs BullMQ keeps per queue, computed at scrape time (nearest-rank quantile).`,
          ["queue", "quantile"]);
        const longest = gauge(registry, "perpbot_queue_job_duration_max_seconds", "Longest run time among the same sampled jobs.", ["queue"]);
        const sampled = gauge(registry, "perpbot_queue_job_duration_sampled_jobs", "How many finished jobs the duration figures are taken over.", ["queue"]);
        for (const r of readings) {
          for (const state of STATES) depth.set({ queue: r.name, state }, r.counts[state] ?? 0);
          sampled.set({ queue: r.name }, r.durations.length);
          if (r.durations.length === 0) continue;
          const sorted = [...r.durations].sort((a, b) => a - b);
          for (const q of QUANTILES) duration.set({ queue: r.name, quantile: String(q) }, nearestRank(sorted, q));
          longest.set({ queue: r.name }, sorted[sorted.length - 1] ?? 0);
        }
      };
    },
  };
}

async function readQueue(queue: Queue): Promise<QueueReading> {
  const client = await queue.getBackend().client;
  if (client.status !== "ready") throw new Error(`redis is ${client.status}`);
  const [counts, ids] = await Promise.all([
    queue.getJobCounts(...STATES),
    Promise.all([queue.getRanges(["completed"], 0, DURATION_SAMPLE - 1, false), queue.getRanges(["failed"], 0, DURATION_SAMPLE - 1, false)]),
  ]);
  // Sent together on the one connection (ioredis writes them back to back): one round trip in effect.
  const stamps = await Promise.all(ids.flat().map((id) => client.hmget(queue.toKey(id), "processedOn", "finishedOn")));
  const durations: number[] = [];
  for (const [processedOn, finishedOn] of stamps) {
    if (processedOn == null || finishedOn == null) continue; // removed meanwhile, or never started
    const ms = Number(finishedOn) - Number(processedOn);
    if (Number.isFinite(ms) && ms >= 0) durations.push(ms / 1000);
  }
  return { name: queue.name, counts, durations };
}

/** The smallest value with at least q of the sample at or below it. */
export function nearestRank(sorted: readonly number[], q: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? 0;
}
