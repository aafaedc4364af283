import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../log";
import type { RunningWorkers } from "../queue/workers";
import type { ChatHandlers, ChatTransport, CommandInfo } from "./transport";

export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

/** 1 s, doubling to one try a minute: a long outage costs one request a minute. */
export const DEFAULT_BACKOFF: Backoff = { initialMs: 1_000, maxMs: 60_000 };

export interface BotRole {
  /** Resolves once every transport is connected and the notify worker runs; never rejects. */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Connects the chat transports in the background, each retried with capped backoff until it
 * works, so a chat platform that is down at start (Telegram unreachable, a 5xx, a token Telegram
 * refuses for now) never takes the worker or web role of the same process down with it. The
 * failure is logged once per transport, and so is the recovery.
 *
 * Notices are sent only once every transport is up: a notice sent while one platform is still
 * missing would be lost there (text notices have no record to catch up from), whereas one left in
 * the queue is delivered to all platforms once they are all connected.
 */
export function startBotRole(deps: {
  readonly transports: readonly ChatTransport[];
  readonly router: ChatHandlers;
  readonly commands: readonly CommandInfo[];
  readonly logger: Logger;
  /** Starts the notify worker over the connected transports. */
  readonly startNotify: (transports: readonly ChatTransport[]) => RunningWorkers;
  readonly backoff?: Backoff;
}): BotRole {
  const abort = new AbortController();
  const backoff = deps.backoff ?? DEFAULT_BACKOFF;
  let notify: RunningWorkers | null = null;

  const connect = async (transport: ChatTransport): Promise<void> => {
    let delayMs = backoff.initialMs;
    let failingSince: number | null = null;
    while (!abort.signal.aborted) {
      try {
        await transport.start(deps.router, deps.commands);
        if (abort.signal.aborted) return;
        if (failingSince === null) deps.logger.info({ platform: transport.platform }, "chat connected");
        else deps.logger.info({ platform: transport.platform, downForMs: Date.now() - failingSince }, "chat connected after failing to start; recovered");
        return;
      } catch (error) {
        if (abort.signal.aborted) return;
        const message = error instanceof Error ? error.message : String(error);
        if (failingSince === null) {
          failingSince = Date.now();
          deps.logger.error({ platform: transport.platform, error: message, retryInMs: delayMs }, "chat could not start; the other roles keep running, retrying with backoff");
        } else {
          deps.logger.debug({ platform: transport.platform, error: message, retryInMs: delayMs }, "chat still cannot start");
        }
        await sleep(delayMs, undefined, { signal: abort.signal }).catch(() => undefined);
        delayMs = Math.min(delayMs * 2, backoff.maxMs);
      }
    }
  };

  const ready = (async () => {
    await Promise.all(deps.transports.map(connect));
    if (abort.signal.aborted) return;
    notify = deps.startNotify(deps.transports);
  })().catch((error: unknown) => {
    // startNotify only builds workers; if even that throws, say so rather than sit silent.
    deps.logger.error({ error: error instanceof Error ? error.message : String(error) }, "notify worker could not start");
  });

  return {
    ready,
    async stop() {
      abort.abort();
      // Sends in progress finish first; then the transports stop, which also ends an attempt to
      // connect that is in flight (its start() then fails and is not retried), so `ready` settles.
      await notify?.close();
      await Promise.allSettled(deps.transports.map((t) => t.stop()));
      await ready;
    },
  };
}
