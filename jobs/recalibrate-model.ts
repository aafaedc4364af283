import type { Job } from "bullmq";
import type { App } from "../src/app/context";
import { recalibrate } from "../src/app/recalibrate";
import type { JobData, QUEUE } from "../src/queue/queues";

/** Monthly (and on a drawdown review): fit this month's stream weights out of sample. */
export function recalibrateModelJob(deps: { app: App }) {
  return async (job: Job<JobData[typeof QUEUE.calibration]>): Promise<{ version: string; samples: number }> => {
    const { weightSet } = await recalibrate(deps.app, deps.app.clock());
    deps.app.logger.info({ reason: job.data.reason, version: weightSet.version, samples: weightSet.samples, priors: weightSet.priors }, "model recalibrated");
    return { version: weightSet.version, samples: weightSet.samples };
  };
}
