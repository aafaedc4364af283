import { UnrecoverableError, type Job } from "bullmq";
import type { App } from "../src/app/context";
import { pruneMarketHistoryIfDue } from "../src/app/prune-market-history";
import { recordMarket, type PollOutcome } from "../src/app/record-market";
import type { MarketDataSource } from "../src/exchange/market-data";
import { QUEUE, type JobData, type Queues } from "../src/queue/queues";

/** BullMQ job ids may not contain ":" (scheduler job ids do). */
export const safeJobId = (id: string | undefined): string => (id ?? `${Date.now()}`).replace(/:/g, "-");

/**
 * Polls every venue, stores the snapshots, then queues signal computation and position
 * monitoring on the fresh data. When no venue answers it says so plainly and throws, so BullMQ
 * retries with backoff; a symbol no venue lists is not retried. A venue that banned us or asked
 * for a pause is not a reason to throw: it is skipped (no request) until its cool-down ends, so
 * when every venue is cooling down the job ends quietly and the next scheduled poll comes anyway.
 * Optional data that failed (spot, open interest, candles) is named in the log each cycle and in
 * the venue's health record (/status). At most once an hour the recorded history is pruned to the
 * retention settings; a failing prune is logged and does not fail the poll.
 */
export function pollMarketJob(deps: { app: App; sources: readonly MarketDataSource[]; queues: Queues }) {
  return async (job: Job<JobData[typeof QUEUE.poll]>): Promise<{ recorded: number; failed: number; cooling: number }> => {
    const { app, queues } = deps;
    const outcome = await recordMarket(app, deps.sources);
    const cooling = new Set(outcome.cooling.map((c) => c.venue));
    // Cooling venues are not "problems" to repeat every cycle: their start and end are said once.
    const problems = outcome.failures.filter((f) => !cooling.has(f.venue)).map((f) => `${f.venue} ${f.symbol}: ${f.error.message.replace(/\.*$/, ".")}`);
    if (outcome.recorded === 0) {
      // A retry comes within seconds (backoff 15 s, 30 s, 60 s): only worth it for a venue that may answer by then.
      const retryable = outcome.failures.some((f) => f.error.retryable && !cooling.has(f.venue));
      const attempts = job.opts.attempts ?? 1;
      const unlisted = outcome.unlisted.map((u) => `${u.venue} ${u.symbol}`);
      const message = `No market data this round. ${problems.join(" ")}${unlisted.length > 0 ? ` Not listed: ${unlisted.join(", ")}.` : ""}`.trim();
      if (retryable) {
        app.logger.warn(
          { attempt: job.attemptsMade + 1, of: attempts },
          `${message} Retrying with backoff (attempt ${job.attemptsMade + 1} of ${attempts}); the next scheduled poll follows anyway. ` +
            "No network here? `npm run demo` runs everything on a built-in market simulator.",
        );
        throw new Error(message);
      }
      if (cooling.size > 0 && problems.length === 0) {
        const next = Math.min(...outcome.cooling.map((c) => c.until));
        app.logger.debug({ venues: [...cooling], resumesAt: new Date(next).toISOString() }, "every venue is cooling down; nothing polled this round");
        return { recorded: 0, failed: outcome.failures.length, cooling: cooling.size };
      }
      throw new UnrecoverableError(`${message} Check SYMBOLS and VENUES.`);
    }
    if (problems.length > 0) app.logger.warn({ problems }, "some venues did not answer this round; continuing with the others");
    logMissing(app, outcome);
    try {
      await pruneMarketHistoryIfDue(app);
    } catch (error) {
      app.logger.warn({ error: error instanceof Error ? error.message : String(error) }, "market history not pruned this round; trying again next poll");
    }
    const id = safeJobId(job.id);
    await queues[QUEUE.signals].add("compute", { pollJobId: id }, { jobId: `signals-${id}` });
    await queues[QUEUE.monitor].add("monitor", { reason: "after-poll" }, { jobId: `monitor-${id}` });
    return { recorded: outcome.recorded, failed: outcome.failures.length, cooling: cooling.size };
  };
}

/** Failed optional streams, one warning per cycle naming each; what a venue does not offer at all stays at debug. */
function logMissing(app: App, outcome: PollOutcome): void {
  const failed = outcome.missing.filter((m) => !m.structural).map((m) => `${m.venue} ${m.symbol} ${m.stream}: ${m.reason}`);
  if (failed.length > 0) app.logger.warn({ missing: failed }, "some optional market data is missing this round (signals that need it wait)");
  const absent = outcome.missing.filter((m) => m.structural).map((m) => `${m.venue} ${m.symbol} ${m.stream}: ${m.reason}`);
  if (absent.length > 0) app.logger.debug({ absent }, "not offered by the venue");
}
