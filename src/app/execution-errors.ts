import type { TradeState } from "../core/trading/types";

export type ExecutionResult =
  | { readonly kind: "done"; readonly status: TradeState["status"] }
  | { readonly kind: "nothing-to-do"; readonly status: TradeState["status"] };

/** Thrown when the order may succeed later (no fresh price yet, the venue not answering): the job retries with backoff. */
export class RetryableExecutionError extends Error {
  override readonly name = "RetryableExecutionError";
}
