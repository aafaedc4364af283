import { UnrecoverableError, type Job } from "bullmq";
import type { App } from "../src/app/context";
import { closeTrade, executeProposal, giveUpExecution, RetryableExecutionError, type ExecutionResult } from "../src/app/execute-proposal";
import type { JobData, QUEUE } from "../src/queue/queues";

/**
 * Sends, finds or resolves one order: the entry of an approved trade, the lookup of an entry whose
 * outcome is unknown, or the exit of a closing one. Every path looks the order up by its client id
 * before sending, so a re-run is safe. On the last failed attempt at an entry the trade is marked
 * failed and the chats are told, so nothing hangs in "executing"; an exit is never given up on
 * (the reconciler queues it again).
 */
export function executeTradeJob(deps: { app: App }) {
  return async (job: Job<JobData[typeof QUEUE.execution]>): Promise<ExecutionResult> => {
    const { proposalId, action } = job.data;
    try {
      return action === "close" ? await closeTrade(deps.app, proposalId) : await executeProposal(deps.app, proposalId);
    } catch (error) {
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const retryable = error instanceof RetryableExecutionError;
      if (action !== "close" && (lastAttempt || !retryable)) {
        const reason = error instanceof Error ? error.message : String(error);
        deps.app.logger.error({ proposalId, action, attempt: job.attemptsMade + 1, error: reason }, "order job gave up");
        await giveUpExecution(deps.app, proposalId, `execution gave up after ${job.attemptsMade + 1} attempt(s): ${reason}`);
        throw new UnrecoverableError(reason);
      }
      throw error;
    }
  };
}
