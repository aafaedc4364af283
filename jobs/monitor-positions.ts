import type { Job } from "bullmq";
import type { App } from "../src/app/context";
import { expireStaleProposals } from "../src/app/decide-proposal";
import { sendFundingAlerts } from "../src/app/funding-alerts";
import { monitorTrades } from "../src/app/monitor-trades";
import type { JobData, QUEUE } from "../src/queue/queues";

/** Expires stale proposals, books funding, enforces stops, take-profits and horizons, then the drawdown rules. */
export function monitorPositionsJob(deps: { app: App }) {
  return async (_job: Job<JobData[typeof QUEUE.monitor]>): Promise<{ expired: number; exiting: number; fundingBooked: number; equity: number }> => {
    const expired = await expireStaleProposals(deps.app);
    const outcome = await monitorTrades(deps.app);
    await sendFundingAlerts(deps.app);
    return { expired, exiting: outcome.exiting.length, fundingBooked: outcome.fundingBooked, equity: outcome.equity };
  };
}
