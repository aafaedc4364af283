import type { Job } from "bullmq";
import type { App } from "../src/app/context";
import { deliverNotice } from "../src/chat/notifier";
import type { ChatTransport } from "../src/chat/transport";
import type { JobData, QUEUE } from "../src/queue/queues";

/** Runs in the bot role, which holds the chat clients. */
export function sendNotificationJob(deps: { app: App; transports: readonly ChatTransport[] }) {
  return async (job: Job<JobData[typeof QUEUE.notify]>): Promise<void> => {
    const { intentId: _intentId, ...notice } = job.data;
    await deliverNotice(deps.app, deps.transports, notice);
  };
}
