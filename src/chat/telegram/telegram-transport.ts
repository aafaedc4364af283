import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { Telegraf, TelegramError, type Telegram } from "telegraf";
import type { UserFromGetMe } from "telegraf/types";
import { redactText, type Logger } from "../../log";
import { DeliveryError, type ChatHandlers, type ChatTransport, type CommandInfo, type MessageRef, type OutgoingMessage, type Reply } from "../transport";
import { actorOf, fitTelegram, isTransient, keyboard, retryAfterMsOf, splitCaption } from "./telegram-wire";
import type { Backoff } from "../bot-role";
import { TelegramLanes, TELEGRAM_PACING, type Pacing } from "./telegram-lanes";
import { TelegramPoller } from "./telegram-polling";
import { TelegramPresses } from "./telegram-press";

export interface TelegramTransportOptions {
  readonly token: string;
  /** Bot API root without a path; tests point it at the local stand-in. */
  readonly apiRoot?: string;
  /** Chats that receive broadcasts (signals, alerts, digests). */
  readonly chatIds: readonly string[];
  readonly logger: Logger;
  /**
   * Receive updates by webhook instead of long polling. `domain` is a host ("bot.example.com",
   * served as https) or a full origin ("http://127.0.0.1:8080" for a local Bot API server).
   */
  readonly webhook?: { readonly domain: string; readonly path: string; readonly secretToken: string };
  /**
   * 429 handling: retries, the total time one call may wait in-process (beyond it the call fails
   * with the retry-after, and a queue job retries later: a shutdown never waits on a long flood
   * ban), and how long one retry_after second lasts (tests shrink it).
   */
  readonly rateLimit?: { readonly maxRetries?: number; readonly maxWaitMs?: number; readonly secondMs?: number };
  /** Backoff of the polling loop after a failed getUpdates (409, 401, network). */
  readonly pollBackoff?: Backoff;
  /** Broadcast pacing per chat (telegram-lanes.ts, TELEGRAM_PACING); tests shrink it. */
  readonly pacing?: Partial<Pacing>;
}

type WebhookHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;
type State = "idle" | "starting" | "running" | "stopped" | "failed";
type Failure = { readonly chatId: string; readonly error: unknown };

const APOLOGY = "Sorry, something went wrong while handling that. It has been logged; please try again in a moment.";
const ALLOWED_UPDATES = ["message", "callback_query"] as const;
const STOP_GRACE_MS = 5_000;

/** Telegram through telegraf: commands and inline buttons in, plain-text messages out. */
export class TelegramTransport implements ChatTransport {
  readonly platform = "telegram" as const;
  private readonly bot: Telegraf;
  private readonly log: Logger;
  private readonly maxRetries: number;
  private readonly maxWaitMs: number;
  private readonly secondMs: number;
  private state: State = "idle";
  private poller: TelegramPoller | undefined;
  private readonly lanes: TelegramLanes;
  private readonly presses: TelegramPresses;
  private registered = false;

  constructor(private readonly options: TelegramTransportOptions) {
    this.log = options.logger.child({ transport: "telegram" });
    this.maxRetries = options.rateLimit?.maxRetries ?? 5;
    // Short: a longer ban is waited out by the queue (it retries no sooner than retry_after), and a
    // shutdown never waits on one (issue 9: stop within 10 s during a back-off).
    this.maxWaitMs = options.rateLimit?.maxWaitMs ?? 3_000;
    this.secondMs = options.rateLimit?.secondMs ?? 1_000;
    this.presses = new TelegramPresses({
      log: this.log, describe: (e) => this.describe(e), apology: APOLOGY,
      answer: (telegram, queryId, toast) => this.retry("answerCallbackQuery", () => telegram.answerCbQuery(queryId, toast)).then(() => undefined),
      reply: (telegram, chatId, text, replyTo) => this.send(telegram, chatId, { text }, replyTo).then(() => undefined),
      edit: (telegram, chatId, messageId, message) => this.editMessage(telegram, chatId, messageId, message),
    });
    this.lanes = new TelegramLanes({ ...TELEGRAM_PACING, ...options.pacing }, async (chatId, message, silent) => {
      const sent = await this.send(this.bot.telegram, chatId, message, undefined, silent);
      return { chatId: String(sent.chat.id), messageId: String(sent.message_id) };
    });
    this.bot = new Telegraf(options.token, { telegram: options.apiRoot === undefined ? {} : { apiRoot: options.apiRoot } });
    // Backstop only: every handler below catches its own errors. Telegraf's default would rethrow
    // out of handleUpdate, into the polling loop (which would then count it as a failed poll).
    this.bot.catch((error) => { this.log.error({ error: this.describe(error) }, "Telegram update failed"); });
  }

  async start(handlers: ChatHandlers, commands: readonly CommandInfo[]): Promise<void> {
    // A failed start may be tried again (the runtime does, with backoff, while Telegram is down).
    if (this.state !== "idle" && this.state !== "failed") throw new Error(`TelegramTransport.start() called while ${this.state}; create a new transport instead`);
    this.state = "starting";
    try {
      const me = await this.getMe();
      // Saves telegraf its own getMe before the first update.
      this.bot.botInfo = me;
      if (!this.registered) this.register(handlers);
      this.registered = true;
      await this.setCommands(commands);
      if (this.options.webhook === undefined) await this.startPolling();
      else await this.setWebhook(this.options.webhook);
      if (this.isStopped()) return;
      this.state = "running";
      this.log.info({ bot: me.username, mode: this.options.webhook === undefined ? "polling" : "webhook" }, "Telegram connected");
    } catch (error) {
      if (!this.isStopped()) this.state = "failed";
      throw error;
    }
  }

  async stop(): Promise<void> {
    if (this.state === "stopped") return;
    this.state = "stopped";
    const poller = this.poller;
    this.poller = undefined;
    // Let the poller confirm the processed updates (a final getUpdates) without hanging shutdown.
    await poller?.stop(STOP_GRACE_MS);
    // Decisions already acknowledged finish (their result is sent), within the same grace.
    await this.presses.settle(STOP_GRACE_MS);
  }

  /**
   * Every chat at once: Telegram's flood limits are per chat (plus a global 30/s we stay far
   * below), so one chat's retry_after must not hold back the others.
   */
  get chatIds(): readonly string[] {
    return this.options.chatIds;
  }

  async broadcast(message: OutgoingMessage, skip?: ReadonlySet<string>, silent?: ReadonlySet<string>): Promise<MessageRef[]> {
    const chatIds = this.options.chatIds.filter((chatId) => !(skip?.has(chatId) ?? false));
    const results = await Promise.all(chatIds.map(async (chatId): Promise<MessageRef | Failure> => {
      try {
        // Each chat's own lane (telegram-lanes.ts): paced to Telegram's limits, bursts of texts merged.
        const sent = await this.lanes.send(chatId, message, silent?.has(chatId) ?? false);
        return { platform: "telegram", chatId: sent.chatId, messageId: sent.messageId };
      } catch (error) {
        return { chatId, error };
      }
    }));
    const refs = results.filter((r): r is MessageRef => !("error" in r));
    const failures = results.filter((r): r is Failure => "error" in r);
    const later = failures.filter((f) => isTransient(f.error));
    for (const failure of failures.filter((f) => !isTransient(f.error))) {
      // Kicked from the group, chat gone: asking again would fail the same way.
      this.log.warn({ chatId: failure.chatId, error: this.describe(failure.error) }, "Telegram broadcast to a chat failed for good; skipped it");
    }
    if (later.length > 0) {
      throw new DeliveryError(
        `Telegram could not deliver to ${later.map((f) => `${f.chatId} (${this.describe(f.error)})`).join(", ")}`,
        refs, retryAfterMsOf(later.map((f) => f.error), this.secondMs),
      );
    }
    return refs;
  }

  async edit(ref: MessageRef, message: OutgoingMessage): Promise<void> {
    try {
      await this.editMessage(this.bot.telegram, ref.chatId, Number(ref.messageId), message);
    } catch (error) {
      if (isTransient(error)) throw new DeliveryError(`Telegram edit failed: ${this.describe(error)}`, [], retryAfterMsOf([error], this.secondMs));
      throw error instanceof TelegramError ? error : new Error(this.describe(error));
    }
  }

  /** For the web server in webhook mode; answers 503 until started (Telegram then redelivers later). */
  webhookCallback(): WebhookHandler {
    const webhook = this.options.webhook;
    if (webhook === undefined) throw new Error("TelegramTransport.webhookCallback() needs the webhook option");
    const callback = this.bot.webhookCallback(webhook.path, { secretToken: webhook.secretToken });
    return async (req, res) => {
      if (this.state !== "running") {
        res.writeHead(503).end();
        return;
      }
      await callback(req, res);
    };
  }

  private async getMe(): Promise<UserFromGetMe> {
    try {
      return await this.retry("getMe", () => this.bot.telegram.getMe());
    } catch (error) {
      // 401 is a revoked or mistyped token; 404 is a token that is not even shaped like one.
      if (error instanceof TelegramError && (error.code === 401 || error.code === 404)) {
        throw new Error(
          `Telegram rejected TELEGRAM_BOT_TOKEN (${error.code} ${error.description}). Copy the token again from @BotFather ` +
          "(/mybots → your bot → API Token; /revoke issues a new one) and set TELEGRAM_BOT_TOKEN to it.",
        );
      }
      throw new Error(`Could not reach the Telegram Bot API: ${this.describe(error)}`);
    }
  }

  private register(handlers: ChatHandlers): void {
    // Every command name, in any letter case (/STATUS, /foo): the router matches names and answers
    // unknown ones. telegraf still strips "@this_bot" and skips commands addressed to another bot.
    this.bot.command(/^\w{1,32}$/, async (ctx) => {
      if (ctx.from === undefined) return;
      const args = ctx.payload.split(/\s+/).filter((arg) => arg !== "");
      let reply: Reply;
      try {
        reply = await handlers.onCommand(ctx.command, args, actorOf(ctx.from), String(ctx.chat.id));
      } catch (error) {
        this.log.error({ command: ctx.command, error: this.describe(error) }, "Command handler threw");
        reply = { text: APOLOGY };
      }
      // An empty reply is a rate-limited refusal: audited by the router, deliberately not answered.
      if (reply.text === "") return;
      try {
        // A bot cannot whisper in a group: a private reply answers the sender's own message instead.
        await this.sendReply(ctx.telegram, ctx.chat.id, reply, reply.private === true ? ctx.message.message_id : undefined);
      } catch (error) {
        this.log.warn({ command: ctx.command, error: this.describe(error) }, "Could not send a command reply");
      }
    });
    this.bot.on("callback_query", async (ctx) => this.presses.handle(ctx, handlers));
  }

  private async setCommands(commands: readonly CommandInfo[]): Promise<void> {
    try {
      await this.retry("setMyCommands", () =>
        this.bot.telegram.setMyCommands(commands.map((c) => ({ command: c.name, description: c.description }))));
    } catch (error) {
      // Only the "/" menu suffers; typed commands still work, so this is not worth failing start for.
      this.log.warn({ error: this.describe(error) }, "Telegram refused the command menu (setMyCommands)");
    }
  }

  private async setWebhook(webhook: NonNullable<TelegramTransportOptions["webhook"]>): Promise<void> {
    const origin = /^https?:\/\//.test(webhook.domain) ? webhook.domain.replace(/\/+$/, "") : `https://${webhook.domain}`;
    await this.retry("setWebhook", () => this.bot.telegram.setWebhook(`${origin}${webhook.path}`, {
      secret_token: webhook.secretToken, allowed_updates: [...ALLOWED_UPDATES],
    }));
  }

  /** Starts long polling (telegram-polling.ts: why not telegraf's launch) once the first getUpdates is on its way. */
  private async startPolling(): Promise<void> {
    // A webhook left behind by an earlier webhook deployment makes every getUpdates fail with 409.
    await this.retry("deleteWebhook", () => this.bot.telegram.deleteWebhook());
    if (this.isStopped()) return;
    this.poller = new TelegramPoller({
      telegram: this.bot.telegram, allowedUpdates: ALLOWED_UPDATES, log: this.log, describe: (e) => this.describe(e),
      handleUpdate: (update) => this.bot.handleUpdate(update), secondMs: this.secondMs,
      ...(this.options.pollBackoff ? { backoff: this.options.pollBackoff } : {}),
    });
    await this.poller.start();
  }

  /** A method, so TypeScript does not keep `state` narrowed across the awaits in start(). */
  private isStopped(): boolean {
    return this.state === "stopped";
  }

  /** `silent`: the chat gets it without a notification sound (its alert setting, /settings). */
  private send(telegram: Telegram, chatId: string | number, message: OutgoingMessage, replyTo?: number, silent = false) {
    const markup = keyboard(message);
    return this.retry("sendMessage", () => telegram.sendMessage(chatId, fitTelegram(message.text), {
      ...(markup === undefined ? {} : { reply_markup: markup }),
      ...(silent ? { disable_notification: true } : {}),
      ...(replyTo === undefined ? {} : { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } }),
    }));
  }

  /**
   * A reply with an image goes out as a photo (a multipart upload) with the text as its caption;
   * text beyond the caption limit follows as a message, carrying the buttons if there are any.
   */
  private async sendReply(telegram: Telegram, chatId: number, reply: Reply, replyTo?: number): Promise<void> {
    const image = reply.image;
    if (image === undefined) {
      await this.send(telegram, chatId, reply, replyTo);
      return;
    }
    const { caption, rest } = splitCaption(reply.text);
    const markup = rest === "" ? keyboard(reply) : undefined;
    await this.retry("sendPhoto", () => telegram.sendPhoto(chatId, { source: image.png, filename: image.filename }, {
      ...(caption.trim() === "" ? {} : { caption }),
      ...(markup === undefined ? {} : { reply_markup: markup }),
      ...(replyTo === undefined ? {} : { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } }),
    }));
    if (rest.trim() !== "") await this.send(telegram, chatId, { text: rest, ...(reply.buttons === undefined ? {} : { buttons: reply.buttons }) });
  }

  /** Without reply_markup Telegram removes the buttons, which is what an edit without buttons means. */
  private async editMessage(telegram: Telegram, chatId: string | number, messageId: number, message: OutgoingMessage): Promise<void> {
    const markup = keyboard(message);
    try {
      await this.retry("editMessageText", () =>
        telegram.editMessageText(chatId, messageId, undefined, fitTelegram(message.text), markup === undefined ? {} : { reply_markup: markup }));
    } catch (error) {
      if (error instanceof TelegramError && error.code === 400 && error.description.includes("message is not modified")) return;
      throw error;
    }
  }

  /**
   * Waits out Telegram's flood control (429 + retry_after) in-process while the total wait stays
   * within maxWaitMs; a longer ban is rethrown at once (never retried early: Telegram extends a
   * ban hit during it), for the caller to retry after it. Any other error is final here.
   */
  private async retry<T>(method: string, call: () => Promise<T>): Promise<T> {
    let waited = 0;
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await call();
      } catch (error) {
        if (!(error instanceof TelegramError) || error.code !== 429 || attempt >= this.maxRetries) throw error;
        const waitMs = (error.parameters?.retry_after ?? 1) * this.secondMs;
        if (waited + waitMs > this.maxWaitMs) throw error;
        waited += waitMs;
        this.log.warn({ method, waitMs, attempt: attempt + 1 }, "Telegram rate limit hit; waiting before retrying");
        await sleep(waitMs);
      }
    }
  }

  /** Error text safe for logs and users: the token travels in every request URL, so scrub it. */
  private describe(error: unknown): string {
    const text = error instanceof TelegramError ? `${error.code} ${error.description}` : error instanceof Error ? error.message : String(error);
    return redactText(text, [this.options.token]);
  }
}
