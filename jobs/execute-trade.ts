import { UnrecoverableError, type Job } from "bullmq";
import type { App } from "../src/app/context";
import { closeTrade, executeProposal, giveUpExecution, RetryableExecutionError, type ExecutionResult } from "../src/app/execute-proposal";
import { protectPosition } from "../src/app/live-positions";
import type { JobData, QUEUE } from "../src/queue/queues";

/**
 * Sends, finds or resolves one order: the entry of an approved trade, the lookup of an entry whose
 * outcome is unknown, or the exit of a closing one. Every path looks the order up by its client id
 * before sending, so a re-run is safe, and any failure is retried with backoff (a busy database,
 * a venue not answering). On the last failed attempt at an entry the trade is marked failed and
 * the chats are told, so nothing hangs in "executing"; an exit is never given up on (the
 * reconciler queues it again).
 */
export function executeTradeJob(deps: { app: App }) {
  return async (job: Job<JobData[typeof QUEUE.execution]>): Promise<ExecutionResult> => {
    const { proposalId, action } = job.data;
    try {
      if (action === "protect") return await protectPosition(deps.app, proposalId);
      return action === "close" ? await closeTrade(deps.app, proposalId) : await executeProposal(deps.app, proposalId);
    } catch (error) {
      const attempt = job.attemptsMade + 1;
      const detail = error instanceof Error ? error.message : String(error);
      // Only our own plain-words reasons reach the chat; anything else stays in the log.
      const reason = error instanceof RetryableExecutionError ? detail : "an internal error (the details are in the bot's log)";
      deps.app.logger.warn({ proposalId, action, attempt, error: detail.slice(0, 300) }, "order job failed; it will be retried");
      if ((action === "execute" || action === "resolve") && attempt >= (job.opts.attempts ?? 1)) {
        deps.app.logger.error({ proposalId, action, attempt }, "order job gave up");
        await giveUpExecution(deps.app, proposalId, `Not executed: gave up after ${attempt} attempt(s): ${reason}.`);
        throw new UnrecoverableError(reason);
      }
      throw error;
    }
  };
}
