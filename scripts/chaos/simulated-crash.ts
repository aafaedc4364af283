import { UnrecoverableError } from "bullmq";
import type { CrashPoint } from "../../src/crash-points";

/** What a crash point throws; also what every call of a dead process's db/chat throws. */
export class SimulatedCrash extends UnrecoverableError {
  constructor(message: string) {
    super(message);
    this.name = "SimulatedCrash";
  }
}
export const isCrash = (error: unknown): boolean => error instanceof Error && error.name === "SimulatedCrash";

// after-card-send is not drawn: Telegram's sendMessage has no idempotency key, so a crash between
// a chat accepting a card and the bot recording its id can leave one stale copy. That window is
// the chat layer's (see README, "After a crash"); such a copy is adopted and updated when pressed.
export const PATH_POINTS = ["after-approval-commit", "after-order-submit", "after-fill-commit"] as const satisfies readonly CrashPoint[];
// Live adds the instant between committing the entry's send time and sending it: the order was
// never sent, the journal says it may have been; it is looked up until the give-up time, never sent.
export const LIVE_PATH_POINTS = ["after-approval-commit", "after-send-recorded", "after-order-submit", "after-fill-commit"] as const satisfies readonly CrashPoint[];
export type PathPoint = (typeof PATH_POINTS)[number] | (typeof LIVE_PATH_POINTS)[number];

/** The crash point armed for one approval; `hit` once a process died there. */
export interface Token {
  readonly approval: number;
  readonly point: PathPoint;
  hit: boolean;
}
