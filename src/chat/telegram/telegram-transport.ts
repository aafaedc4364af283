import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { Telegraf, TelegramError, type Context, type Telegram } from "telegraf";
import type { InlineKeyboardMarkup, User, UserFromGetMe } from "telegraf/types";
import { redactText, type Logger } from "../../log";
import type { Actor, ButtonOutcome, ChatHandlers, ChatTransport, CommandInfo, MessageRef, OutgoingMessage } from "../transport";

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
  /** 429 handling: retries, the longest wait honoured, and how long one retry_after second lasts (tests shrink it). */
  readonly rateLimit?: { readonly maxRetries?: number; readonly maxWaitMs?: number; readonly secondMs?: number };
}

/** Telegram refuses texts over 4,096 characters; a cut message beats a lost one. */
const fitTelegram = (text: string): string => (text.length <= 4096 ? text : `${text.slice(0, 4093)}…`);

type WebhookHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;
type State = "idle" | "starting" | "running" | "stopped" | "failed";

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
  /** Settles when telegraf's launch() ends; never rejects (failures are logged). */
  private polling: Promise<void> | undefined;
  /** Resolves when the first getUpdates is sent, i.e. updates are being received. */
  private pollingStarted: Promise<void> | undefined;

  constructor(private readonly options: TelegramTransportOptions) {
    this.log = options.logger.child({ transport: "telegram" });
    this.maxRetries = options.rateLimit?.maxRetries ?? 3;
    this.maxWaitMs = options.rateLimit?.maxWaitMs ?? 60_000;
    this.secondMs = options.rateLimit?.secondMs ?? 1_000;
    this.bot = new Telegraf(options.token, { telegram: options.apiRoot === undefined ? {} : { apiRoot: options.apiRoot } });
    // Backstop only: every handler below catches its own errors. Telegraf's default would rethrow
    // and end the polling loop, i.e. one bad update would silence the bot.
    this.bot.catch((error) => { this.log.error({ error: this.describe(error) }, "Telegram update failed"); });
  }

  async start(handlers: ChatHandlers, commands: readonly CommandInfo[]): Promise<void> {
    if (this.state !== "idle") throw new Error(`TelegramTransport.start() called while ${this.state}; create a new transport instead`);
    this.state = "starting";
    try {
      const me = await this.getMe();
      // Saves telegraf its own getMe in launch() and before the first update.
      this.bot.botInfo = me;
      this.register(handlers, commands);
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
    const { polling, pollingStarted } = this;
    if (polling === undefined) return;
    this.polling = undefined;
    // telegraf.stop() throws "Bot is not running!" until its poller exists (stop during start).
    await pollingStarted?.catch(() => undefined);
    try {
      this.bot.stop("shutdown");
    } catch {
      // Polling already ended on its own (a failure that was logged when it happened).
    }
    // Let telegraf confirm the processed updates (its final getUpdates) without hanging shutdown.
    await Promise.race([polling, sleep(STOP_GRACE_MS, undefined, { ref: false })]);
  }

  async broadcast(message: OutgoingMessage): Promise<MessageRef[]> {
    const refs: MessageRef[] = [];
    // One chat at a time: Telegram rate-limits per bot, and a chat that fails must not stop the others.
    for (const chatId of this.options.chatIds) {
      try {
        const sent = await this.send(this.bot.telegram, chatId, message);
        refs.push({ platform: "telegram", chatId: String(sent.chat.id), messageId: String(sent.message_id) });
      } catch (error) {
        this.log.warn({ chatId, error: this.describe(error) }, "Telegram broadcast to a chat failed; skipped it");
      }
    }
    return refs;
  }

  async edit(ref: MessageRef, message: OutgoingMessage): Promise<void> {
    try {
      await this.editMessage(this.bot.telegram, ref.chatId, Number(ref.messageId), message);
    } catch (error) {
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

  private register(handlers: ChatHandlers, commands: readonly CommandInfo[]): void {
    // /start and /help exist on every Telegram bot; the router answers them like any other command.
    const names = [...new Set([...commands.map((c) => c.name), "start", "help"])];
    this.bot.command(names, async (ctx) => {
      if (ctx.from === undefined) return;
      const args = ctx.payload.split(/\s+/).filter((arg) => arg !== "");
      let reply: OutgoingMessage;
      try {
        reply = await handlers.onCommand(ctx.command, args, actorOf(ctx.from));
      } catch (error) {
        this.log.error({ command: ctx.command, error: this.describe(error) }, "Command handler threw");
        reply = { text: APOLOGY };
      }
      try {
        await this.send(ctx.telegram, ctx.chat.id, reply);
      } catch (error) {
        this.log.warn({ command: ctx.command, error: this.describe(error) }, "Could not send a command reply");
      }
    });
    this.bot.on("callback_query", async (ctx) => this.onCallbackQuery(ctx, handlers));
  }

  private async onCallbackQuery(ctx: Context, handlers: ChatHandlers): Promise<void> {
    const query = ctx.callbackQuery;
    if (query === undefined) return;
    const message = query.message;
    if (!("data" in query) || message === undefined) {
      // Not one of ours (a game or inline-mode button): still answer, or the client spins for a while.
      await ctx.telegram.answerCbQuery(query.id).catch(() => undefined);
      return;
    }
    const ref: MessageRef = { platform: "telegram", chatId: String(message.chat.id), messageId: String(message.message_id) };
    let outcome: ButtonOutcome;
    try {
      outcome = await handlers.onButton(query.data, actorOf(query.from), ref);
    } catch (error) {
      this.log.error({ error: this.describe(error) }, "Button handler threw");
      outcome = { toast: APOLOGY };
    }
    try {
      // In webhook mode telegraf sends this answer in the HTTP response to Telegram.
      await this.retry("answerCallbackQuery", () => ctx.telegram.answerCbQuery(query.id, outcome.toast));
    } catch (error) {
      this.log.warn({ error: this.describe(error) }, "Could not answer a button press");
    }
    if (outcome.edit === undefined) return;
    try {
      await this.editMessage(ctx.telegram, message.chat.id, message.message_id, outcome.edit);
    } catch (error) {
      this.log.warn({ ...ref, error: this.describe(error) }, "Could not edit the message after a button press");
    }
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

  /**
   * Starts long polling and resolves once the first getUpdates is on its way. telegraf's own
   * onLaunch fires before launch() has deleted the webhook and created its poller, so a stop()
   * right after it would throw "Bot is not running!" and leave polling running.
   */
  private async startPolling(): Promise<void> {
    // A webhook left behind by an earlier webhook deployment makes every getUpdates fail with 409.
    await this.retry("deleteWebhook", () => this.bot.telegram.deleteWebhook());
    if (this.isStopped()) return;
    const telegram = this.bot.telegram;
    const callApi = telegram.callApi.bind(telegram);
    this.pollingStarted = new Promise<void>((resolve, reject) => {
      telegram.callApi = (method, payload, options) => {
        if (method === "getUpdates") {
          telegram.callApi = callApi;
          resolve();
        }
        return callApi(method, payload, options);
      };
      this.polling = this.bot.launch({ allowedUpdates: [...ALLOWED_UPDATES] }).then(
        () => {
          resolve();
          this.log.info("Telegram polling stopped");
        },
        (error: unknown) => {
          const hint = error instanceof TelegramError && error.code === 409 ? " (another instance polls with this token, or a webhook is set: run one bot role only)" : "";
          this.log.error({ error: this.describe(error) }, `Telegram polling failed${hint}`);
          reject(new Error(`Telegram polling failed: ${this.describe(error)}`));
        },
      );
    });
    await this.pollingStarted;
  }

  /** A method, so TypeScript does not keep `state` narrowed across the awaits in start(). */
  private isStopped(): boolean {
    return this.state === "stopped";
  }

  private send(telegram: Telegram, chatId: string | number, message: OutgoingMessage) {
    const markup = keyboard(message);
    return this.retry("sendMessage", () =>
      telegram.sendMessage(chatId, fitTelegram(message.text), markup === undefined ? {} : { reply_markup: markup }));
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

  /** Retries Telegram's flood control (429 + retry_after); any other error is final. */
  private async retry<T>(method: string, call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await call();
      } catch (error) {
        if (!(error instanceof TelegramError) || error.code !== 429 || attempt >= this.maxRetries) throw error;
        const waitMs = Math.min((error.parameters?.retry_after ?? 1) * this.secondMs, this.maxWaitMs);
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

function keyboard(message: OutgoingMessage): InlineKeyboardMarkup | undefined {
  const buttons = message.buttons ?? [];
  // One row; Telegram has no button colours, so the labels must carry the meaning on their own.
  return buttons.length === 0 ? undefined : { inline_keyboard: [buttons.map((b) => ({ text: b.label, callback_data: b.data }))] };
}

function actorOf(user: User): Actor {
  const name = [user.first_name, user.last_name].filter((part) => part !== undefined && part !== "").join(" ");
  return { platform: "telegram", userId: String(user.id), displayName: name !== "" ? name : (user.username ?? String(user.id)) };
}
