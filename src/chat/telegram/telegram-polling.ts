import { setTimeout as sleep } from "node:timers/promises";
import { TelegramError, type Telegram } from "telegraf";
import type { Update } from "telegraf/types";
import type { Logger } from "../../log";
import { DEFAULT_BACKOFF, type Backoff } from "../bot-role";


export interface PollerOptions {
  readonly telegram: Telegram;
  readonly allowedUpdates: readonly ("message" | "callback_query")[];
  /** telegraf's bot.handleUpdate; it never throws here (bot.catch logs handler failures). */
  readonly handleUpdate: (update: Update) => Promise<void>;
  readonly log: Logger;
  readonly describe: (error: unknown) => string;
  readonly backoff?: Backoff;
  /** How long one retry_after second lasts (tests shrink it). */
  readonly secondMs?: number;
}

type FetchSignal = NonNullable<NonNullable<Parameters<Telegram["callApi"]>[2]>["signal"]>;

/** Long-poll timeout in seconds, as telegraf's own poller uses. */
const POLL_TIMEOUT_S = 50;

/**
 * Our own long-polling loop instead of telegraf's launch(). telegraf's Polling ends for good on a
 * 409 (another getUpdates with this token: an overlapping deploy, a second instance) or a 401, and
 * retries network errors silently every 5 s: the process stays up but never reads an update again,
 * and nobody is told. Restarting launch() would not help either (a Polling instance must not be
 * reused, and launch() re-runs getMe + deleteWebhook). Here every failure is retried with capped
 * backoff, logged once when it begins and once when polling works again.
 */
export class TelegramPoller {
  private readonly abort = new AbortController();
  private offset = 0;
  private loop: Promise<void> | undefined;
  /** Since when getUpdates fails, and why (logged once, at the first failure). */
  private failingSince: number | null = null;

  constructor(private readonly options: PollerOptions) {}

  /** Starts the loop; resolves once the first getUpdates has been sent. */
  start(): Promise<void> {
    if (this.loop !== undefined) throw new Error("TelegramPoller.start() called twice");
    return new Promise<void>((resolve) => {
      this.loop = this.run(resolve);
    });
  }

  /** Aborts the parked getUpdates, then confirms the handled updates so they are not delivered again. */
  async stop(graceMs: number): Promise<void> {
    this.abort.abort();
    const loop = this.loop;
    if (loop === undefined) return;
    await Promise.race([loop, sleep(graceMs, undefined, { ref: false })]);
    if (this.offset === 0 || this.failingSince !== null) return;
    const confirm = this.options.telegram.callApi("getUpdates", { offset: this.offset, limit: 1, timeout: 0 })
      .then(() => undefined, () => undefined);
    await Promise.race([confirm, sleep(graceMs, undefined, { ref: false })]);
  }

  private async run(onFirstRequest: () => void): Promise<void> {
    const { telegram, log } = this.options;
    const backoff = this.options.backoff ?? DEFAULT_BACKOFF;
    let delayMs = backoff.initialMs;
    while (!this.abort.signal.aborted) {
      try {
        const request = telegram.callApi(
          "getUpdates",
          { timeout: POLL_TIMEOUT_S, offset: this.offset, allowed_updates: [...this.options.allowedUpdates] },
          // node-fetch (telegraf's HTTP client) accepts Node's own AbortSignal; only its typings differ.
          { signal: this.abort.signal as unknown as FetchSignal },
        );
        onFirstRequest();
        const updates = await request;
        if (this.failingSince !== null) {
          log.info({ downForMs: Date.now() - this.failingSince }, "Telegram polling recovered; receiving updates again");
          this.failingSince = null;
        }
        delayMs = backoff.initialMs;
        const last = updates.at(-1);
        if (last !== undefined) this.offset = last.update_id + 1;
        await Promise.all(updates.map((update) => this.options.handleUpdate(update)));
      } catch (error) {
        if (this.abort.signal.aborted) break;
        onFirstRequest(); // a failure at the very first request still means "polling has begun"
        if (this.failingSince === null) {
          this.failingSince = Date.now();
          log.error({ error: this.options.describe(error), retryInMs: delayMs }, `Telegram polling failed${hint(error)}; retrying with backoff until it works`);
        } else {
          log.debug({ error: this.options.describe(error), retryInMs: delayMs }, "Telegram polling still failing");
        }
        // A 429 on getUpdates names its own wait; never poll sooner than that.
        const retryAfterS = error instanceof TelegramError && error.code === 429 ? error.parameters?.retry_after ?? 0 : 0;
        const waitMs = Math.max(delayMs, retryAfterS * (this.options.secondMs ?? 1_000));
        await sleep(waitMs, undefined, { signal: this.abort.signal }).catch(() => undefined);
        delayMs = Math.min(delayMs * 2, backoff.maxMs);
      }
    }
    log.info("Telegram polling stopped");
  }
}

function hint(error: unknown): string {
  if (!(error instanceof TelegramError)) return " (Telegram unreachable)";
  if (error.code === 409) return " (409: another process polls with this token, or a webhook is set: run one bot role only)";
  if (error.code === 401) return " (401: Telegram rejects TELEGRAM_BOT_TOKEN; check it with @BotFather)";
  return "";
}
