import type { Job, Queue } from "bullmq";
import type { Logger } from "../log";
import type { Db } from "../store/database";
import { noteDispatched, readIntents, type StoredIntent } from "../store/outbox";
import { QUEUE, type JobData, type Queues } from "./queues";

/** BullMQ job ids may not contain ":" nor be integers; intent ids never are, but keys come from callers. */
export const jobIdOf = (intentId: string): string => intentId.replace(/:/g, "-");

type Route =
  | { readonly queue: typeof QUEUE.execution; readonly name: string; readonly data: JobData[typeof QUEUE.execution] }
  | { readonly queue: typeof QUEUE.notify; readonly name: string; readonly data: JobData[typeof QUEUE.notify] }
  | { readonly queue: typeof QUEUE.calibration; readonly name: string; readonly data: JobData[typeof QUEUE.calibration] };

/** Which queue carries an intent, and the job data it needs (never a secret). */
export function routeOf(stored: StoredIntent): Route {
  const { intent, id } = stored;
  switch (intent.kind) {
    case "execute": return { queue: QUEUE.execution, name: "execute", data: { intentId: id, proposalId: intent.proposalId, action: "execute" } };
    case "resolve-order": return { queue: QUEUE.execution, name: "resolve", data: { intentId: id, proposalId: intent.proposalId, action: "resolve" } };
    case "close": return { queue: QUEUE.execution, name: "close", data: { intentId: id, proposalId: intent.proposalId, action: "close", reason: intent.reason } };
    case "protect": return { queue: QUEUE.execution, name: "protect", data: { intentId: id, proposalId: intent.proposalId, action: "protect" } };
    case "card": return { queue: QUEUE.notify, name: "card", data: { intentId: id, kind: "card", proposalId: intent.proposalId } };
    case "text": return { queue: QUEUE.notify, name: "text", data: { intentId: id, kind: "text", text: intent.text, ...(intent.event === undefined ? {} : { event: intent.event }) } };
    case "model-review": return { queue: QUEUE.calibration, name: "review", data: { intentId: id, reason: intent.reason, key: intent.key } };
  }
}

function queueOf(queues: Queues, route: Route): Queue {
  return queues[route.queue] as Queue;
}

/**
 * Hands intents to BullMQ. The job id is the intent id, so handing the same intent over twice
 * (the fast path after a commit and a reconciler pass, or two processes) queues one job.
 */
export async function dispatchIntents(deps: { db: Db; queues: Queues; logger: Logger; clock: () => number }, intents: readonly StoredIntent[]): Promise<void> {
  for (const stored of intents) {
    if (stored.status !== "pending") continue;
    const route = routeOf(stored);
    await queueOf(deps.queues, route).add(route.name, route.data, { jobId: jobIdOf(stored.id) });
    await noteDispatched(deps.db, stored.id, deps.clock());
  }
}

/** The fast path right after a commit: dispatch these intents now; the reconciler covers a failure. */
export async function dispatchByIds(deps: { db: Db; queues: Queues; logger: Logger; clock: () => number }, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  try {
    await dispatchIntents(deps, await readIntents(deps.db, ids));
  } catch (error) {
    // Redis may be down: the intents are safe in the database and the reconciler dispatches them.
    deps.logger.warn({ intents: ids, error: error instanceof Error ? error.message : String(error) }, "could not queue work now; the reconciler will retry it");
  }
}

/**
 * Makes sure a pending intent has a live job: none (Redis flushed or restarted, or a crash before
 * dispatch) → add it; failed or completed while the intent is still pending (a stalled order job
 * failed, or the process died before marking it done) → remove and add again, so its processor
 * runs once more through its own idempotent path. Returns what it did, for the log.
 */
export async function ensureJob(queues: Queues, stored: StoredIntent): Promise<"queued" | "requeued" | "alive"> {
  const route = routeOf(stored);
  const queue = queueOf(queues, route);
  const jobId = jobIdOf(stored.id);
  const job: Job | undefined = await queue.getJob(jobId);
  if (job === undefined || job === null) {
    await queue.add(route.name, route.data, { jobId });
    return "queued";
  }
  const state = await job.getState();
  if (state === "failed" || state === "completed" || state === "unknown") {
    await job.remove().catch(() => undefined);
    await queue.add(route.name, route.data, { jobId });
    return "requeued";
  }
  return "alive";
}
