/**
 * Named crash points for crash-recovery tests and `npm run chaos`.
 *
 * A process started with `PERPBOT_CRASH_AT=<name>` (several names may be comma-separated) dies
 * the moment it reaches that point, as a power cut or `kill -9` would: no cleanup, no flushed
 * logs, no closed connections. The database keeps what was committed and nothing else. In normal
 * operation the variable is unset and every call is a cheap no-op.
 *
 * In-process callers (the chaos runner) may install a handler instead, which throws to abandon
 * the current unit of work at the same instant.
 */
export const CRASH_POINTS = [
  /** Bot: the approval is committed (with its intents); nothing has reached Redis yet. */
  "after-approval-commit",
  /** Worker, live: the entry's send time is committed; the order has not been sent. */
  "after-send-recorded",
  /** Worker: the entry order was sent to the broker; the journal has not recorded its outcome. */
  "after-order-submit",
  /** Worker: the fill is committed (with its intents); the card update has not been queued. */
  "after-fill-commit",
  /** Worker: the exit order was sent to the broker; the journal has not recorded the close. */
  "after-exit-submit",
  /** Worker: the close is committed; the card update has not been queued. */
  "after-close-commit",
  /** Bot: a card was posted to a chat; which message it was is not recorded yet. */
  "after-card-send",
] as const;

export type CrashPoint = (typeof CRASH_POINTS)[number];

type Handler = (point: CrashPoint) => void;

const armed = new Set<string>((process.env.PERPBOT_CRASH_AT ?? "").split(",").map((s) => s.trim()).filter((s) => s !== ""));
let handler: Handler | null = null;

/** Dies here if this point is armed (env) or lets an installed handler abandon the work. */
export function crashPoint(point: CrashPoint): void {
  if (handler !== null) handler(point);
  if (armed.size === 0 || !armed.has(point)) return;
  // One line on stderr so the test can tell a planned crash from a real one, then a hard kill.
  process.stderr.write(`perpbot: crash point "${point}" reached, dying now (PERPBOT_CRASH_AT)\n`);
  process.kill(process.pid, "SIGKILL");
}

/** For the in-process chaos runner only: called at every crash point; throw to abandon the work. */
export function setCrashHandler(next: Handler | null): void {
  handler = next;
}

export function isCrashPoint(name: string): name is CrashPoint {
  return (CRASH_POINTS as readonly string[]).includes(name);
}
