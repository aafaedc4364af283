import type { Job } from "bullmq";
import type { App } from "../src/app/context";
import { checkJournalDrift } from "../src/app/journal-drift";
import { reviewModelAndNotify } from "../src/app/model-review";
import { recalibrate } from "../src/app/recalibrate";
import type { JobData, QUEUE } from "../src/queue/queues";

type CalibrationJobData = JobData[typeof QUEUE.calibration];

/** The review key in the job data, if the requester sent one (`{ reason, key? }`). */
function keyOf(data: CalibrationJobData): string | null {
  const key: unknown = (data as { readonly key?: unknown }).key;
  return typeof key === "string" && key.trim() !== "" ? key : null;
}

/**
 * Monthly (reason "monthly"): fit this month's stream weights on the 90 days before it, then check
 * the last two completed months of the trade journal for drift (which may queue a model review and
 * tell the chats). A failed drift check is logged and does not fail the job: the weights are
 * stored, and a retry would only fit them again. The next month's run checks again.
 * Anything else is a model review (drawdown pause): refit on the 90 days before now and store a
 * new weight set in force from now, once per key. Without a key the BullMQ job id stands in: it is
 * stable across retries of the same job, so a retry still stores one row.
 */
export function recalibrateModelJob(deps: { app: App }) {
  return async (job: Job<CalibrationJobData>): Promise<{ version: string; samples: number; status?: string; drift?: string }> => {
    const now = deps.app.clock();
    if (job.data.reason === "monthly") {
      const { weightSet } = await recalibrate(deps.app, now);
      deps.app.logger.info({ reason: job.data.reason, version: weightSet.version, samples: weightSet.samples, priors: weightSet.priors }, "model recalibrated");
      const drift = await checkDrift(deps.app, now);
      return { version: weightSet.version, samples: weightSet.samples, drift };
    }
    const key = keyOf(job.data) ?? (job.id !== undefined ? `job-${job.id}` : `at-${now}`);
    const outcome = await reviewModelAndNotify(deps.app, now, { reason: job.data.reason, key });
    const version = outcome.review?.version ?? outcome.before.version;
    deps.app.logger.info({ reason: job.data.reason, key, status: outcome.status, version, before: outcome.before.version, samples: outcome.samples }, "model reviewed");
    return { version, samples: outcome.samples, status: outcome.status };
  };
}

/** The drift check after a monthly fit: its action, or "failed" (logged) — never a failed job. */
async function checkDrift(app: App, now: number): Promise<string> {
  try {
    const { assessment, written } = await checkJournalDrift(app, now);
    const months = assessment.months.map((m) => ({ month: m.month, trades: m.trades, judged: m.enoughData }));
    app.logger.info({ action: assessment.action, months, written }, "journal drift checked");
    return assessment.action;
  } catch (error) {
    app.logger.error({ error: error instanceof Error ? error.message : String(error) }, "journal drift check failed; the recalibration stands, the next monthly run checks again");
    return "failed";
  }
}
