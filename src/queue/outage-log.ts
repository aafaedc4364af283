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

/** One line: a connection error's message without its stack, short enough to read. */
export function errorLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split("\n", 1)[0] ?? "").slice(0, 200);
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
  let probing = false;
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

  const probeOnce = (): void => {
    if (probing || downSince === null || stopped) return;
    probing = true;
    options.probe().then((ok) => { if (ok) recover(); }, () => undefined).finally(() => { probing = false; });
  };

  return {
    get down() { return downSince !== null; },
    get downSince() { return downSince; },
    failed(error: unknown): void {
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
    },
    stop(): void {
      stopped = true;
      if (timer !== null) clearInterval(timer);
      timer = null;
    },
  };
}
