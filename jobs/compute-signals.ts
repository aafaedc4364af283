import type { Job } from "bullmq";
import type { App } from "../src/app/context";
import { computeSignals } from "../src/app/compute-signals";
import type { JobData, QUEUE } from "../src/queue/queues";

/** Runs the signal engine on the stored data and turns fired signals into proposals. */
export function computeSignalsJob(deps: { app: App }) {
  return async (_job: Job<JobData[typeof QUEUE.signals]>): Promise<{ fired: number; proposals: number }> => {
    const outcomes = await computeSignals(deps.app);
    for (const o of outcomes) {
      deps.app.logger.info({ symbol: o.symbol, direction: o.decision.direction, score: o.decision.score, proposal: o.proposalId, skipped: o.skipped }, "signal computed");
    }
    return { fired: outcomes.filter((o) => o.decision.fired).length, proposals: outcomes.filter((o) => o.proposalId !== null).length };
  };
}
