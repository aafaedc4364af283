import type { Job } from "bullmq";
import type { App } from "../src/app/context";
import { monitorOpenPositions } from "../src/app/close-positions";
import { expireStaleProposals } from "../src/app/decide-proposal";
import { sendFundingAlerts } from "../src/app/funding-alerts";
import { checkRisk } from "../src/app/risk-monitor";
import type { JobData, QUEUE } from "../src/queue/queues";

/** Expires stale proposals, books funding, enforces stops and horizons, then the drawdown rules. */
export function monitorPositionsJob(deps: { app: App }) {
  return async (_job: Job<JobData[typeof QUEUE.monitor]>): Promise<{ expired: number; closed: number; equity: number }> => {
    const expired = await expireStaleProposals(deps.app);
    const { closed } = await monitorOpenPositions(deps.app);
    const risk = await checkRisk(deps.app);
    await sendFundingAlerts(deps.app);
    return { expired, closed: closed.length, equity: risk.equity };
  };
}
