import type { Logger } from "../log";

/**
 * Turns a storm of connection errors into three kinds of line: one when a dependency (Redis, the
 * database) becomes unreachable, one a minute while it stays so (with how many errors it hid),
 * one when it answers again. Every BullMQ queue and worker holds its own Redis connections, each
 * retrying several times a second, so a 30-second Redis outage used to write ~900 lines; an
 * operator needs to know that it started, that it lasts, and that it ended.
 *
 * Recovery is not guessed from the absence of errors: while down, `probe` is asked every
 * `probeEveryMs` (a Redis PING, which ioredis holds until it has reconnected) and its first
 * success ends the outage. Errors in the first `settleMs` after that are connections still
 * finishing their own reconnect, not a new outage; they are counted, not logged.
 */
export interface OutageLog {
  /** A connection error from any client of this dependency. */
  failed(error: unknown): void;
  /** Whether it is down now (for /health). */
  readonly down: boolean;
  /** Since when, epoch ms; null while up. */
  readonly downSince: number | null;
  /**
   * Asks the probe now (for /health), waiting at most `timeoutMs`: a failure or no answer starts an
   * outage (one line, as any error would), an answer while down ends it. Resolves whether it answered.
   */
  check(timeoutMs: number): Promise<boolean>;
  /** Stops the probe timer (shutdown). */
  stop(): void;
}

export interface OutageLogOptions {
  readonly what: string;
  readonly logger: Logger;
  readonly clock: () => number;
  /** Resolves true once the dependency answers; may wait or reject. */
  readonly probe: () => Promise<boolean>;
  readonly reportEveryMs?: number;
  readonly probeEveryMs?: number;
  readonly settleMs?: number;
}

/**
 * One line: an error's message without its stack, short enough to read. Prisma's messages open with
 * an empty line and "Invalid `db.x.y()` invocation in <file>", then the code frame, and say what
 * happened on their last line: that line, after the error's code when it has one.
 */
export function errorLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const lines = message.split("\n").map((line) => line.trim()).filter((line) => line !== "");
  const prisma = lines.length > 1 && /^Invalid `.*` invocation/.test(lines[0] ?? "");
  const line = (prisma ? lines.at(-1) : lines[0]) ?? "";
  const code = typeof error === "object" && error !== null && "code" in error && typeof error.code === "string" ? error.code : null;
  return (code !== null && !line.includes(code) ? `${code}: ${line}` : line).slice(0, 200);
}

export function createOutageLog(options: OutageLogOptions): OutageLog {
  const reportEveryMs = options.reportEveryMs ?? 60_000;
  const probeEveryMs = options.probeEveryMs ?? 5_000;
  const settleMs = options.settleMs ?? 10_000;
  const { logger, what, clock } = options;
  let downSince: number | null = null;
  let lastLineAt = 0;
  let hidden = 0;
  let hiddenInAll = 0;
  let lastError = "";
  let upAgainAt = -Infinity;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  const recover = (): void => {
    if (downSince === null) return;
    const now = clock();
    logger.info({ dependency: what, downForSeconds: Math.round((now - downSince) / 1000), errorsWhileDown: hiddenInAll }, `${what} is reachable again`);
    downSince = null;
    hidden = 0;
    hiddenInAll = 0;
    upAgainAt = now;
    if (timer !== null) clearInterval(timer);
    timer = null;
  };

  // One probe at a time, shared by the timer and by /health: a slow probe is never stacked.
  let inFlight: Promise<unknown> | null = null;
  /** Resolves null when the dependency answered, else why not. */
  const probe = (): Promise<unknown> => {
    inFlight ??= options.probe()
      .then((ok): unknown => (ok ? null : new Error(`${what} did not answer`)), (error: unknown) => error ?? new Error(`${what} did not answer`))
      .finally(() => { inFlight = null; });
    return inFlight;
  };

  const probeOnce = (): void => {
    if (inFlight !== null || downSince === null || stopped) return;
    void probe().then((problem) => { if (problem === null) recover(); });
  };

  const failed = (error: unknown): void => {
    const now = clock();
    lastError = errorLine(error);
    if (downSince === null) {
      if (now - upAgainAt < settleMs) return;
      downSince = now;
      lastLineAt = now;
      hidden = 0;
      hiddenInAll = 0;
      logger.error({ dependency: what, error: lastError }, `${what} is unreachable; work that needs it waits, and this log says once a minute while it lasts`);
      if (!stopped) {
        timer = setInterval(probeOnce, probeEveryMs);
        timer.unref();
      }
      return;
    }
    hidden += 1;
    hiddenInAll += 1;
    if (now - lastLineAt >= reportEveryMs) {
      logger.warn({ dependency: what, downForSeconds: Math.round((now - downSince) / 1000), errorsSinceLastLine: hidden, error: lastError }, `${what} is still unreachable`);
      lastLineAt = now;
      hidden = 0;
    }
  };

  return {
    get down() { return downSince !== null; },
    get downSince() { return downSince; },
    failed,
    async check(timeoutMs: number): Promise<boolean> {
      let wait: NodeJS.Timeout | undefined;
      const late = new Promise<unknown>((resolve) => { wait = setTimeout(() => resolve(new Error(`${what} did not answer within ${timeoutMs} ms`)), timeoutMs); });
      const problem = await Promise.race([probe(), late]).finally(() => clearTimeout(wait));
      if (problem === null) recover();
      else failed(problem);
      return problem === null;
    },
    stop(): void {
      stopped = true;
      if (timer !== null) clearInterval(timer);
      timer = null;
    },
  };
}
