import { DelayedError, type Job } from "bullmq";
import type { App } from "../src/app/context";
import { recordUndelivered } from "../src/app/undelivered-notices";
import { CardPostedElsewhere, deliverNotice, ledgerKey, NoticeNotDelivered, type DeliveryLedger } from "../src/chat/notifier";
import type { ChatTransport } from "../src/chat/transport";
import type { JobData, QUEUE } from "../src/queue/queues";

/**
 * Runs in the bot role, which holds the chat clients. A notice that some chat could not take yet
 * (a rate limit, an outage) fails the job with a DeliveryError, so BullMQ retries it later; the
 * chats it did reach are kept in the job's progress, which survives the job's retries, so they
 * are not posted to again.
 */
export function sendNotificationJob(deps: { app: App; transports: readonly ChatTransport[] }) {
  return async (job: Job<JobData[typeof QUEUE.notify]>, token?: string): Promise<void> => {
    const { intentId: _intentId, ...notice } = job.data;
    const delivered = new Set(deliveredOf(job.progress));
    const ledger: DeliveryLedger = {
      delivered,
      record: async (refs) => {
        if (refs.length === 0) return;
        for (const ref of refs) delivered.add(ledgerKey(ref.platform, ref.chatId));
        await job.updateProgress({ delivered: [...delivered] });
      },
    };
    try {
      await deliverNotice(deps.app, deps.transports, notice, ledger);
    } catch (error) {
      // Waiting for another bot process to finish posting the card is not a failed delivery: the
      // job goes back to the queue for a moment and keeps its attempts for real failures (a rate
      // limit, an outage). The lease ends within a minute even if its holder died (card-lease.ts).
      if (error instanceof CardPostedElsewhere && token !== undefined) {
        await job.moveToDelayed(Date.now() + (error.retryAfterMs ?? 1_000), token);
        throw new DelayedError();
      }
      // The last attempt: the platforms still missing it are recorded, for the next /status to say.
      if (error instanceof NoticeNotDelivered && job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
        const now = deps.app.clock();
        for (const platform of error.platforms) await recordUndelivered(deps.app, platform, now).catch(() => undefined);
        deps.app.logger.error({ platforms: error.platforms, jobId: job.id, error: error.message.slice(0, 300) }, "a notice could not be delivered after every retry; recorded for /status");
      }
      throw error;
    }
  };
}

function deliveredOf(progress: unknown): string[] {
  if (typeof progress !== "object" || progress === null || !("delivered" in progress)) return [];
  const { delivered } = progress;
  return Array.isArray(delivered) ? delivered.filter((d): d is string => typeof d === "string") : [];
}
