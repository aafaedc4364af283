import { randomBytes, randomInt } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Chat, InlineKeyboardMarkup, Update, User, UserFromGetMe } from "telegraf/types";
import {
  ApiFailure, badRequest, bool, checkedPhoto, conflictError, int, json, NOT_MODIFIED, now, optionalBool, photoSizes, readBody, send, str,
  type ApiErrorBody, type BotMessage, type BotPhotoMessage, type Params,
} from "./telegram-wire";

export type { ApiErrorBody } from "./telegram-wire";

/**
 * A local Telegram Bot API server (the subset perpbot uses) so the real telegraf client can be
 * tested offline. It keeps the wire contract of api.telegram.org: `/bot<token>/<method>` with JSON,
 * urlencoded, multipart or query parameters; `{ok,result}` / `{ok:false,error_code,description}`
 * with the same HTTP status and error texts; real long polling (a parked getUpdates, offsets that
 * confirm updates). Like a `--local` Bot API server it also accepts plain-http webhook URLs.
 */

export interface TestUser { readonly id: number; readonly first_name: string; readonly username?: string }
/** `silent`: sent with disable_notification (the chat's members get no sound). */
export interface RecordedMessage { chatId: number; messageId: number; text: string; replyMarkup: InlineKeyboardMarkup | undefined; silent: boolean }
/** An edit makes no sound whatever the chat's settings: it has no disable_notification. */
export type RecordedEdit = Omit<RecordedMessage, "silent">;
/** `latencyMs`: from the press (the update created) to this answer arriving. */
export interface CallbackAnswer { callbackQueryId: string; text: string | undefined; showAlert: boolean; latencyMs: number }
/** A photo the bot uploaded (sendPhoto, multipart): the bytes as they arrived, and what Telegram read from them. */
export interface RecordedPhoto {
  chatId: number; messageId: number; caption: string | undefined; replyMarkup: InlineKeyboardMarkup | undefined;
  filename: string | undefined; contentType: string | undefined; data: Buffer; width: number; height: number; format: "png" | "jpeg";
}

interface ParkedPoll { limit: number; respond: (updates: Update[] | ApiFailure) => void; timer: NodeJS.Timeout }

export class TelegramServer {
  readonly token: string;
  readonly botUser: UserFromGetMe;
  readonly sentMessages: RecordedMessage[] = [];
  readonly sentPhotos: RecordedPhoto[] = [];
  readonly edits: RecordedEdit[] = [];
  readonly callbackAnswers: CallbackAnswer[] = [];
  /** Every API method called, in order (lower-case): lets tests see that nobody busy-loops. */
  readonly calls: string[] = [];
  /** The same calls with their chat and arrival time (ms), to see when retries came. */
  readonly timeline: { method: string; chatId: string | undefined; at: number }[] = [];
  readonly webhookDeliveries: { updateId: number; status: number }[] = [];
  commands: { command: string; description: string }[] = [];
  /** Called the moment a message is stored (benchmarks time delivery with it, without polling). */
  onMessage: ((message: RecordedMessage) => void) | undefined;
  /** Called the moment an edit is stored (benchmarks time "the card shows the outcome" with it). */
  onEdit: ((edit: RecordedEdit) => void) | undefined;
  webhook: { url: string; secretToken: string | undefined } | undefined;

  private readonly server: Server = createServer((req, res) => void this.handle(req, res));
  private readonly pending: Update[] = [];
  private readonly messages = new Map<string, BotMessage>();
  private readonly photoMessages = new Map<string, BotPhotoMessage>();
  private readonly lastMessageId = new Map<number, number>();
  /** Open callback queries and when each was pressed: one answer each, within the query's lifetime. */
  private readonly openQueries = new Map<string, number>();
  private readonly callbackQueryTtlMs: number;
  private readonly failures = new Map<string, { times: number; error: ApiErrorBody }>();
  private parked: ParkedPoll | undefined;
  private conflict = false;
  private outage: ApiErrorBody | undefined;
  private readonly flooded = new Map<string, number>();
  private nextUpdateId = 100_000 + randomInt(1_000);

  /** `token`: the same bot again (a process started against Telegram before it was up). */
  /**
   * `callbackQueryTtlMs`: how long a button press may be answered (Telegram: about 15 s, then
   * "query is too old"); tests shorten it.
   */
  constructor(options: { botUsername?: string; token?: string; callbackQueryTtlMs?: number } = {}) {
    this.callbackQueryTtlMs = options.callbackQueryTtlMs ?? 15_000;
    const botId = options.token === undefined ? 7_000_000_000 + randomInt(1_000_000) : Number(options.token.split(":")[0]);
    this.token = options.token ?? `${botId}:AA${randomBytes(24).toString("base64url")}`;
    this.botUser = {
      id: botId, is_bot: true, first_name: "Perpbot Test", username: options.botUsername ?? "perpbot_test_bot",
      can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false,
    };
  }

  get apiRoot(): string {
    const address = this.server.address() as AddressInfo | null;
    if (address === null) throw new Error("TelegramServer is not started");
    return `http://127.0.0.1:${address.port}`;
  }

  /** `port` lets a test hand a process the address first and bring Telegram "up" there later. */
  async start(port = 0): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(port, "127.0.0.1", resolve));
  }

  async stop(): Promise<void> {
    this.parked?.respond([]);
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** The next `times` calls of `method` fail with `error` (e.g. 429 with parameters.retry_after). */
  failNext(method: string, times: number, error: ApiErrorBody): void {
    this.failures.set(method.toLowerCase(), { times, error });
  }

  /**
   * While on, another process polls with this token (an overlapping deploy): the parked
   * getUpdates and every new one answer 409, as Telegram does to the poller that lost.
   */
  setConflict(on: boolean): void {
    this.conflict = on;
    if (on) this.parked?.respond(conflictError());
  }

  /** While set, every call answers this error (e.g. 502 Bad Gateway, 401 for a token being re-issued). */
  setOutage(error: ApiErrorBody | undefined): void {
    this.outage = error;
    if (error !== undefined) this.parked?.respond(new ApiFailure(error));
  }

  /**
   * Flood control on one chat, as Telegram applies it (per chat): while set, every sendMessage and
   * editMessageText to that chat answers 429 with this retry_after; undefined lifts it.
   */
  floodChat(chatId: number, retryAfter: number | undefined): void {
    if (retryAfter === undefined) this.flooded.delete(String(chatId));
    else this.flooded.set(String(chatId), retryAfter);
  }

  /** Telegram's flood-control answer, byte for byte: HTTP 429 with parameters.retry_after in seconds. */
  static tooManyRequests(retryAfter: number): ApiErrorBody {
    return { error_code: 429, description: `Too Many Requests: retry after ${retryAfter}`, parameters: { retry_after: retryAfter } };
  }

  buildCommandUpdate(from: TestUser, chatId: number, text: string): Update {
    const commandLength = text.split(/\s/, 1)[0]?.length ?? 0;
    const message = {
      message_id: this.nextMessageId(chatId), from: this.user(from), chat: this.chat(chatId, from), date: now(), text,
      ...(text.startsWith("/") ? { entities: [{ type: "bot_command" as const, offset: 0, length: commandLength }] } : {}),
    };
    return { update_id: this.nextUpdateId++, message };
  }

  buildButtonUpdate(from: TestUser, chatId: number, messageId: number, data: string): Update.CallbackQueryUpdate {
    const message = this.messages.get(`${chatId}:${messageId}`);
    if (message === undefined) throw new Error(`pressButton: the bot sent no message ${messageId} to chat ${chatId}`);
    const id = `${randomInt(1e9)}${randomInt(1e9)}`;
    this.openQueries.set(id, Date.now());
    return {
      update_id: this.nextUpdateId++,
      callback_query: { id, from: this.user(from), message: structuredClone(message), chat_instance: `${chatId * 7919}`, data },
    };
  }

  /** A user types `text` (e.g. "/status BTC"); delivered by getUpdates or to the webhook if one is set. */
  injectCommand(from: TestUser, chatId: number, text: string): void {
    this.enqueue(this.buildCommandUpdate(from, chatId, text));
  }

  /** A user presses an inline button on a message the bot sent; returns the callback query id. */
  pressButton(from: TestUser, chatId: number, messageId: number, data: string): string {
    const update = this.buildButtonUpdate(from, chatId, messageId, data);
    this.enqueue(update);
    return update.callback_query.id;
  }

  /**
   * POSTs an update to the registered webhook as Telegram does; a method call in the response body
   * (telegraf's webhookReply) is executed like an API call. Returns the HTTP status.
   */
  async deliverViaWebhook(update: Update, options: { secretToken?: string } = {}): Promise<number> {
    if (this.webhook === undefined) throw new Error("deliverViaWebhook: no webhook registered (setWebhook was not called)");
    const secret = options.secretToken ?? this.webhook.secretToken;
    const response = await fetch(this.webhook.url, {
      method: "POST", body: JSON.stringify(update),
      headers: { "content-type": "application/json", ...(secret === undefined ? {} : { "x-telegram-bot-api-secret-token": secret }) },
    });
    const body = await response.text();
    this.webhookDeliveries.push({ updateId: update.update_id, status: response.status });
    if (response.ok && body !== "" && (response.headers.get("content-type") ?? "").includes("application/json")) {
      const call = JSON.parse(body) as Params;
      // Telegram does not report failures of calls made in a webhook reply; neither do we.
      if (typeof call.method === "string") await this.call(call.method, call).catch(() => undefined);
    }
    return response.status;
  }

  /** Resolves with the predicate's first value that is neither undefined nor false. */
  async waitFor<T>(predicate: () => T | undefined | false, timeoutMs = 2_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = predicate();
      if (value !== undefined && value !== false) return value;
      if (Date.now() > deadline) throw new Error(`waitFor: condition not met within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  private enqueue(update: Update): void {
    if (this.webhook !== undefined) {
      void this.deliverViaWebhook(update).catch(() => this.webhookDeliveries.push({ updateId: update.update_id, status: 0 }));
      return;
    }
    this.pending.push(update);
    const parked = this.parked;
    if (parked !== undefined) parked.respond(this.pending.slice(0, parked.limit));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://stand-in");
    const match = /^\/bot([^/]*)\/([A-Za-z]+)$/.exec(url.pathname);
    if (match === null) return send(res, { error_code: 404, description: "Not Found" });
    if (match[1] !== this.token) return send(res, { error_code: 401, description: "Unauthorized" });
    try {
      const params: Params = { ...Object.fromEntries(url.searchParams), ...(await readBody(req)) };
      const result = await this.call(match[2] ?? "", params, res);
      if (!res.writableEnded) res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true, result }));
    } catch (error) {
      if (error instanceof ApiFailure) return send(res, error.body);
      send(res, { error_code: 500, description: `Internal Server Error: ${String(error)}` });
    }
  }

  private async call(rawMethod: string, p: Params, res?: ServerResponse): Promise<unknown> {
    const method = rawMethod.toLowerCase(); // Bot API method names are case-insensitive
    this.calls.push(method);
    this.timeline.push({ method, chatId: str(p.chat_id), at: Date.now() });
    if (this.outage !== undefined) throw new ApiFailure(this.outage);
    if (this.conflict && method === "getupdates") throw conflictError();
    const flood = method === "sendmessage" || method === "sendphoto" || method === "editmessagetext" ? this.flooded.get(str(p.chat_id) ?? "") : undefined;
    if (flood !== undefined) throw new ApiFailure(TelegramServer.tooManyRequests(flood));
    const failure = this.failures.get(method);
    if (failure !== undefined && failure.times > 0) {
      failure.times -= 1;
      throw new ApiFailure(failure.error);
    }
    switch (method) {
      case "getme": return this.botUser;
      case "getupdates": return this.getUpdates(p, res);
      case "deletewebhook":
        this.webhook = undefined;
        if (bool(p.drop_pending_updates)) this.pending.length = 0;
        return true;
      case "setwebhook": return this.setWebhook(p);
      case "getwebhookinfo": return { url: this.webhook?.url ?? "", has_custom_certificate: false, pending_update_count: this.pending.length };
      case "setmycommands": {
        const commands = json<{ command: string; description: string }[]>(p.commands) ?? [];
        if (commands.some((c) => !/^[a-z0-9_]{1,32}$/.test(c.command))) throw badRequest("BOT_COMMAND_INVALID");
        this.commands = commands;
        return true;
      }
      case "sendmessage": return this.sendMessage(p);
      case "sendphoto": return this.sendPhoto(p);
      case "editmessagetext": return this.editMessageText(p);
      case "answercallbackquery": {
        // The real API refuses toasts over 200 characters.
        if ((str(p.text) ?? "").length > 200) throw badRequest("MESSAGE_TOO_LONG");
        const id = str(p.callback_query_id) ?? "";
        const pressedAt = this.openQueries.get(id);
        // One answer per query, and only while it is fresh: Telegram gives the same answer to both.
        this.openQueries.delete(id);
        if (pressedAt === undefined || Date.now() - pressedAt > this.callbackQueryTtlMs) {
          throw badRequest("query is too old and response timeout expired or query ID is invalid");
        }
        this.callbackAnswers.push({ callbackQueryId: id, text: str(p.text), showAlert: bool(p.show_alert), latencyMs: Date.now() - pressedAt });
        return true;
      }
      default: throw new ApiFailure({ error_code: 404, description: "Not Found" });
    }
  }

  private getUpdates(p: Params, res?: ServerResponse): Update[] | Promise<Update[]> {
    if (this.webhook !== undefined) {
      throw new ApiFailure({ error_code: 409, description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first" });
    }
    const offset = int(p.offset) ?? 0;
    if (offset > 0) this.pending.splice(0, this.pending.filter((u) => u.update_id < offset).length);
    const limit = Math.min(Math.max(int(p.limit) ?? 100, 1), 100);
    const timeout = int(p.timeout) ?? 0;
    if (this.pending.length > 0 || timeout <= 0 || res === undefined) return this.pending.slice(0, limit);
    // A second poller terminates the first, exactly as Telegram does with two bot instances.
    this.parked?.respond(conflictError());
    return new Promise<Update[]>((resolve, reject) => {
      const parked: ParkedPoll = {
        limit,
        respond: (result) => {
          clearTimeout(parked.timer);
          if (this.parked === parked) this.parked = undefined;
          if (result instanceof ApiFailure) reject(result);
          else resolve(result);
        },
        timer: setTimeout(() => parked.respond([]), timeout * 1000),
      };
      this.parked = parked;
      // The client hung up (telegraf aborts its poll on stop): forget the parked request.
      res.on("close", () => { if (this.parked === parked) parked.respond([]); });
    });
  }

  private setWebhook(p: Params): true {
    const url = str(p.url) ?? "";
    if (url === "") { this.webhook = undefined; return true; }
    if (!/^https?:\/\/[^/]+/.test(url)) throw badRequest("bad webhook: An HTTPS URL must be provided for webhook");
    this.webhook = { url, secretToken: str(p.secret_token) };
    return true;
  }

  private sendMessage(p: Params): BotMessage {
    const chatId = this.chatId(p);
    const text = this.text(p);
    const replyMarkup = this.markup(p);
    const silent = optionalBool(p, "disable_notification");
    const message: BotMessage = {
      message_id: this.nextMessageId(chatId), from: this.botAsUser(), chat: this.chat(chatId), date: now(), text,
      ...(replyMarkup === undefined ? {} : { reply_markup: replyMarkup }),
    };
    this.messages.set(`${chatId}:${message.message_id}`, message);
    this.sentMessages.push({ chatId, messageId: message.message_id, text, replyMarkup, silent });
    this.onMessage?.({ chatId, messageId: message.message_id, text, replyMarkup, silent });
    return message;
  }

  /** A photo uploaded with multipart/form-data, checked as Telegram checks it (`checkedPhoto`). */
  private sendPhoto(p: Params): BotPhotoMessage {
    const chatId = this.chatId(p);
    const { photo, width, height, format, caption } = checkedPhoto(p);
    optionalBool(p, "disable_notification");
    const replyMarkup = this.markup(p);
    const messageId = this.nextMessageId(chatId);
    const message: BotPhotoMessage = {
      message_id: messageId, from: this.botAsUser(), chat: this.chat(chatId), date: now(), photo: photoSizes(chatId, messageId, width, height, photo.data.length),
      ...(caption === undefined || caption === "" ? {} : { caption }), ...(replyMarkup === undefined ? {} : { reply_markup: replyMarkup }),
    };
    this.photoMessages.set(`${chatId}:${messageId}`, message);
    this.sentPhotos.push({
      chatId, messageId, caption: message.caption, replyMarkup, filename: photo.filename, contentType: photo.contentType, data: photo.data, width, height, format,
    });
    return message;
  }

  private editMessageText(p: Params): BotMessage {
    const chatId = this.chatId(p);
    const messageId = int(p.message_id) ?? 0;
    if (this.photoMessages.has(`${chatId}:${messageId}`)) throw badRequest("there is no text in the message to edit");
    const old = this.messages.get(`${chatId}:${messageId}`);
    if (old === undefined) throw badRequest("message to edit not found");
    const text = this.text(p);
    // Telegram drops the inline keyboard when an edit carries no reply_markup.
    const replyMarkup = this.markup(p);
    if (text === old.text && JSON.stringify(replyMarkup) === JSON.stringify(old.reply_markup)) throw badRequest(NOT_MODIFIED);
    const { reply_markup: _dropped, ...rest } = old;
    const edited: BotMessage = { ...rest, text, edit_date: now(), ...(replyMarkup === undefined ? {} : { reply_markup: replyMarkup }) };
    this.messages.set(`${chatId}:${messageId}`, edited);
    this.edits.push({ chatId, messageId, text, replyMarkup });
    this.onEdit?.({ chatId, messageId, text, replyMarkup });
    return edited;
  }

  private chatId(p: Params): number {
    const id = int(p.chat_id);
    if (id === undefined) throw badRequest("chat_id is empty");
    if (!Number.isSafeInteger(id)) throw badRequest("chat not found");
    return id;
  }

  private text(p: Params): string {
    const text = str(p.text) ?? "";
    if (text.trim() === "") throw badRequest("message text is empty");
    if (text.length > 4096) throw badRequest("message is too long");
    return text;
  }

  private markup(p: Params): InlineKeyboardMarkup | undefined {
    const markup = json<InlineKeyboardMarkup>(p.reply_markup);
    for (const button of markup?.inline_keyboard.flat() ?? []) {
      const bytes = "callback_data" in button ? Buffer.byteLength(button.callback_data) : 1;
      if (bytes < 1 || bytes > 64) throw badRequest("BUTTON_DATA_INVALID");
    }
    return markup === undefined || markup.inline_keyboard.length === 0 ? undefined : markup;
  }

  private nextMessageId(chatId: number): number {
    const id = (this.lastMessageId.get(chatId) ?? 0) + 1;
    this.lastMessageId.set(chatId, id);
    return id;
  }

  private botAsUser(): User {
    return { id: this.botUser.id, is_bot: true, first_name: this.botUser.first_name, username: this.botUser.username };
  }

  private user(from: TestUser): User {
    return { id: from.id, is_bot: false, first_name: from.first_name, language_code: "en", ...(from.username === undefined ? {} : { username: from.username }) };
  }

  private chat(chatId: number, from?: TestUser): Exclude<Chat, Chat.ChannelChat> {
    if (chatId > 0) return { id: chatId, type: "private", first_name: from?.first_name ?? "User" };
    if (String(chatId).startsWith("-100")) return { id: chatId, type: "supergroup", title: "perpbot desk" };
    return { id: chatId, type: "group", title: "perpbot desk" };
  }
}
