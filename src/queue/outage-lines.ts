import { isDatabaseUnavailable } from "../core/database-errors";
import type { Logger } from "../log";
import type { OutageLog } from "./outage-log";

/** The levels at which code reports a failure; info and below never carry one worth folding. */
const FAILURE_LEVELS = new Set<PropertyKey>(["warn", "error", "fatal"]);

/** Where log calls put the error: `{ err }`, `{ error }`, `{ reason }`, or the Error itself first. */
const ERROR_FIELDS = ["err", "error", "reason", "cause"] as const;

/**
 * The logger the application is given: a failure line whose error says the database is unavailable
 * goes to the database's outage log instead of being written. During an outage every job, every
 * retry and every pass of the reconciler catches its own database error and logs it where it
 * happened (a job's "not saved this round", "will be retried", the worker's "job failed"), each
 * with Prisma's multi-line message: dozens of lines a minute saying one thing. Folding them here
 * keeps each of those call sites as it is and the log to the outage log's three kinds of line.
 *
 * Only lines that carry such an error are folded; a line that says something else ("order job gave
 * up", "trading stays paused") is written as always. Child loggers fold too.
 */
export function foldDatabaseOutage(logger: Logger, outage: OutageLog): Logger {
  return new Proxy(logger, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (property === "child") {
        return (bindings: Record<string, unknown>) => foldDatabaseOutage(target.child(bindings), outage);
      }
      if (FAILURE_LEVELS.has(property) && typeof value === "function") {
        return (...args: unknown[]) => {
          const cause = databaseCause(args, outage.down);
          if (cause !== undefined) {
            outage.failed(cause);
            return;
          }
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * Prisma's message opens with this and says what happened only at its end, after the code frame;
 * call sites that cut messages short (to 160 or 300 characters) often keep only this part.
 */
const PRISMA_HEAD = /Invalid `[^`]*` invocation/;

/**
 * The database-unavailable error a log call carries, if any: in its object's error fields, the
 * object itself, or the message. While the outage lasts, a Prisma error cut before its last line
 * counts too: the part that would say why is gone, and the outage is by far the likeliest why.
 */
function databaseCause(args: readonly unknown[], outageOngoing: boolean): unknown {
  const counts = (value: unknown): boolean => isDatabaseUnavailable(value) || (outageOngoing && PRISMA_HEAD.test(textOf(value)));
  const [first, second] = args;
  if (typeof first === "string") return counts(first) ? first : undefined;
  if (typeof first === "object" && first !== null) {
    if (first instanceof Error) return counts(first) ? first : undefined;
    for (const field of ERROR_FIELDS) {
      const value = (first as Record<string, unknown>)[field];
      if (value !== undefined && counts(value)) return value;
    }
  }
  return typeof second === "string" && counts(second) ? second : undefined;
}

const textOf = (value: unknown): string => (typeof value === "string" ? value : value instanceof Error ? value.message : "");
