import type { Job } from "bullmq";
import type { App } from "../src/app/context";
import { sendDueDigest } from "../src/app/digest";
import type { JobData, QUEUE } from "../src/queue/queues";

/**
 * Fired by the digest schedulers (one per configured local time). The slot is worked out from the
 * clock, not from the job: a firing that comes late, twice, or from a scheduler left over from an
 * older configuration still sends at most the one digest the current slot calls for.
 */
export function sendDigestJob(deps: { app: App }) {
  return async (job: Job<JobData[typeof QUEUE.digest]>): Promise<{ status: string; slot?: string }> => {
    const outcome = await sendDueDigest(deps.app);
    if (outcome === null) return { status: "no digest configured" };
    deps.app.logger.info({ reason: job.data.reason, slot: outcome.slot.key, status: outcome.status }, "digest");
    return { status: outcome.status, slot: outcome.slot.key };
  };
}
