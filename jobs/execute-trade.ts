import { UnrecoverableError, type Job } from "bullmq";
import type { App } from "../src/app/context";
import { executeProposal, markFailed, RetryableExecutionError, type ExecutionResult } from "../src/app/execute-proposal";
import type { JobData, QUEUE } from "../src/queue/queues";

/**
 * Executes one approved proposal. Safe to run twice (see executeProposal); on the last failed
 * attempt the proposal is marked failed and the chat is told, so nothing hangs in "executing".
 */
export function executeTradeJob(deps: { app: App }) {
  return async (job: Job<JobData[typeof QUEUE.execution]>): Promise<ExecutionResult> => {
    const { proposalId } = job.data;
    try {
      return await executeProposal(deps.app, proposalId);
    } catch (error) {
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const retryable = error instanceof RetryableExecutionError;
      if (lastAttempt || !retryable) {
        const reason = error instanceof Error ? error.message : String(error);
        await markFailed(deps.app, proposalId, `execution gave up after ${job.attemptsMade + 1} attempt(s): ${reason}`);
        throw new UnrecoverableError(reason);
      }
      throw error;
    }
  };
}
