/**
 * A local Discord (REST v10 + gateway) good enough for the real discord.js Client:
 * `new Client({ rest: { api: server.apiRoot } })`. It keeps Discord's rules that bots trip over —
 * the 3 s acknowledgement window, one acknowledgement per interaction, 2,000-character messages,
 * button limits, required-before-optional command options, privileged intents — so tests fail
 * where production would. This file holds the state and the REST routes; the pure rules and
 * payloads live in discord-rules.ts and the websocket side in discord-gateway.ts.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { commandPayload, slashCommandData, validateCommands, type RecordedCommand } from "./discord-commands";
import { DiscordGateway } from "./discord-gateway";
import {
  apiError, applicationPayload, attachmentPayloads, bad, botUserPayload, channelPayload, EPHEMERAL, failureHeaders, gatewayBotPayload,
  guildPayload, hasButton, interactionMetadataPayload, interactionPayload, LOADING, messagePayload, parseRequestBody, readyPayload, recordedEdit, recordedMessage,
  validateCreateFlags, validateMessage, validateUploads, withComponentIds, type Json, type RecordedEdit,
  type RecordedInteractionResponse, type RecordedMessage, type RecordedRequest, type RecordedUpload, type StandInUser, type Upload,
} from "./discord-rules";

export type { RecordedCommand } from "./discord-commands";
export type {
  Json, RecordedEdit, RecordedInteractionResponse, RecordedMessage, RecordedRequest, RecordedUpload, StandInUser,
} from "./discord-rules";

interface StoredMessage { api: Json; ephemeral: boolean }
interface PendingInteraction {
  id: string; token: string; createdAt: number; acked: boolean; originalId: string | null;
  componentMessageId: string | null; channelId: string; type: number; user: StandInUser;
}
interface Failure { method: string; pattern: RegExp; remaining: number; status: number; body: object; headers: Record<string, string> }

const DISCORD_EPOCH = 1_420_070_400_000n;

export class DiscordStandIn {
  readonly messages: RecordedMessage[] = [];
  readonly edits: RecordedEdit[] = [];
  readonly interactionResponses: RecordedInteractionResponse[] = [];
  readonly registeredCommands: RecordedCommand[] = [];
  readonly requests: RecordedRequest[] = [];
  /** Files sent with messages (multipart `files[n]`), in arrival order. */
  readonly uploads: RecordedUpload[] = [];
  readonly applicationId: string;
  readonly guildId: string;
  readonly channelId: string;
  readonly token: string;
  /** Snapshot of IDENTIFY payloads (token removed), so tests can check intents. */
  readonly identifies: Json[] = [];

  readonly #server: Server = createServer((req, res) => void this.#handle(req, res));
  readonly #gateway: DiscordGateway;
  readonly #stored = new Map<string, StoredMessage>();
  readonly #interactions = new Map<string, PendingInteraction>();
  #failures: Failure[] = [];
  #snowflakeIncrement = 0n;
  #port = 0;
  readonly #ackDeadlineMs: number;
  readonly #tokenLifetimeMs: number;

  /**
   * `ackDeadlineMs`: the initial response must come within 3 s (else 10062 Unknown interaction);
   * `tokenLifetimeMs`: follow-ups and edits through the interaction token work for 15 minutes
   * (then 401 50027 Invalid Webhook Token). Tests shorten both.
   */
  constructor(options: { ackDeadlineMs?: number; tokenLifetimeMs?: number; heartbeatIntervalMs?: number } = {}) {
    this.#ackDeadlineMs = options.ackDeadlineMs ?? 3_000;
    this.#tokenLifetimeMs = options.tokenLifetimeMs ?? 15 * 60_000;
    this.applicationId = this.#snowflake(); // modern apps: bot user id === application id
    this.guildId = this.#snowflake();
    this.channelId = this.#snowflake();
    this.token = `${Buffer.from(this.applicationId).toString("base64url")}.${randomBytes(4).toString("base64url")}.${randomBytes(20).toString("base64url")}`;
    this.#gateway = new DiscordGateway({
      token: this.token, heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41_250, identifies: this.identifies,
      welcome: (send) => {
        const sessionId = randomBytes(16).toString("hex");
        send("READY", readyPayload(this, this.botUser, sessionId, `ws://127.0.0.1:${this.#port}`));
        send("GUILD_CREATE", guildPayload(this.guildId, this.#snowflake(), this.#channel(), this.botUser));
      },
    });
    this.#server.on("upgrade", (req, socket, head) => this.#gateway.handleUpgrade(req, socket, head));
  }

  get apiRoot(): string { return `http://127.0.0.1:${this.#port}/api`; }
  get botUser(): Json { return botUserPayload(this.applicationId); }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    this.#port = (this.#server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await this.#gateway.close();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** The next `times` requests matching method and path (without `/api/v10`) get this answer. */
  failNext(method: string, pathPattern: RegExp, times: number, status: number, body: object, headers: Record<string, string> = {}): void {
    this.#failures.push({ method: method.toUpperCase(), pattern: pathPattern, remaining: times, status, body, headers });
  }

  async waitFor<T>(predicate: () => T | undefined, timeoutMs = 2_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = predicate();
      if (value !== undefined && value !== false && value !== null) return value;
      if (Date.now() > deadline) throw new Error(`waitFor timed out after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /**
   * A user clicks a button on a stored message; only buttons that exist can be pressed.
   * `ageMs`: the interaction reaches the bot this long after Discord created it (gateway lag, a
   * stalled process); Discord's 3 s and 15 min clocks run from its creation.
   */
  pressButton(user: StandInUser, messageId: string, customId: string, options: { ageMs?: number } = {}): string {
    const stored = this.#stored.get(messageId);
    if (!stored) throw new Error(`pressButton: unknown message ${messageId}`);
    if (!hasButton(stored.api, customId)) throw new Error(`pressButton: message ${messageId} has no button ${customId}`);
    const channelId = stored.api.channel_id as string;
    return this.#dispatchInteraction(user, 3, { custom_id: customId, component_type: 2 }, channelId, messageId, { message: stored.api }, options.ageMs ?? 0);
  }

  /** A user runs a registered slash command; options are sent in the command's declared order. */
  runSlashCommand(user: StandInUser, name: string, options: Record<string, string> = {}): string {
    const command = this.registeredCommands.find((c) => c.name === name && c.type === 1);
    if (!command) throw new Error(`runSlashCommand: /${name} is not registered`);
    return this.#dispatchInteraction(user, 2, slashCommandData(command, options), this.channelId, null, {});
  }

  // ---------------------------------------------------------------- interactions

  #dispatchInteraction(user: StandInUser, type: number, data: Json, channelId: string, componentMessageId: string | null, extra: Json, ageMs = 0): string {
    const id = this.#snowflake();
    const token = `aW50ZXJhY3Rpb246${id}${randomBytes(24).toString("base64url")}`;
    this.#interactions.set(id, { id, token, createdAt: Date.now() - ageMs, acked: false, originalId: null, componentMessageId, channelId, type, user });
    const at = { id, token, applicationId: this.applicationId, guildId: this.guildId, channelId, channel: this.#channel() };
    this.#gateway.dispatch("INTERACTION_CREATE", interactionPayload(at, user, type, data, extra));
    return id;
  }

  // ---------------------------------------------------------------- REST

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = (req.method ?? "GET").toUpperCase();
    const path = decodeURIComponent(url.pathname).replace(/^\/api\/v10/, ""); // discord.js sends "%40original"
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      this.requests.push({ method, path, status });
      res.writeHead(status, { ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...headers });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (!url.pathname.startsWith("/api/v10/")) return reply(404, { message: "404: Not Found", code: 0 });
    const failure = this.#failures.find((f) => f.remaining > 0 && f.method === method && f.pattern.test(path));
    if (failure) {
      failure.remaining -= 1;
      return reply(failure.status, failure.body, failureHeaders(failure.status, failure.body, failure.headers));
    }
    const tokenless = /^\/(interactions|webhooks)\//.test(path);
    if (!tokenless && req.headers.authorization !== `Bot ${this.token}`) return reply(401, { message: "401: Unauthorized", code: 0 });
    const parsed = parseRequestBody(raw, req.headers["content-type"]);
    if (Array.isArray(parsed)) return reply(...parsed);
    const tooMany = validateUploads(parsed.files);
    if (tooMany) return reply(...tooMany);
    try {
      const [status, out] = this.#route(method, path, parsed.body, url.searchParams, parsed.files);
      reply(status, out);
    } catch (error) {
      reply(500, { message: `stand-in error: ${(error as Error).message}`, code: 0 });
    }
  }

  #route(method: string, path: string, body: Json, query: URLSearchParams, files: readonly Upload[]): [number, unknown] {
    let m: RegExpMatchArray | null;
    const route = `${method} ${path}`;
    if (route === "GET /gateway/bot") return [200, gatewayBotPayload(`ws://127.0.0.1:${this.#port}`)];
    if (route === "GET /gateway") return [200, { url: `ws://127.0.0.1:${this.#port}` }];
    if (route === "GET /users/@me") return [200, this.botUser];
    if (route === "GET /applications/@me") return [200, applicationPayload(this.applicationId, this.botUser)];
    if ((m = route.match(/^(PUT|GET) \/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/))) {
      if (m[2] !== this.applicationId) return [403, apiError(50001, "Missing Access")];
      const guildId = m[3] ?? null;
      if (guildId !== null && guildId !== this.guildId) return [403, apiError(50001, "Missing Access")];
      if (m[1] === "PUT") {
        if (!Array.isArray(body)) return bad({ _errors: [{ code: "BASE_TYPE_ARRAY", message: "Must be an array." }] });
        const invalid = validateCommands(body as Json[]);
        if (invalid) return invalid;
        this.#overwriteCommands(body as Json[], guildId);
      }
      return [200, this.registeredCommands.filter((c) => c.guildId === guildId).map((c) => commandPayload(c, this.applicationId, this.#snowflake()))];
    }
    if ((m = route.match(/^GET \/channels\/(\d+)$/))) {
      return m[1] === this.channelId ? [200, this.#channel()] : [404, apiError(10003, "Unknown Channel")];
    }
    if ((m = route.match(/^POST \/channels\/(\d+)\/messages$/))) {
      if (m[1] !== this.channelId) return [404, apiError(10003, "Unknown Channel")];
      const invalid = validateMessage(body, true, files.length) ?? validateCreateFlags(body);
      if (invalid) return invalid;
      const message = this.#createMessage(m[1], body, {}, files, "channel");
      this.messages.push(recordedMessage(message));
      return [200, message];
    }
    if ((m = route.match(/^(GET|PATCH) \/channels\/(\d+)\/messages\/(\d+)$/))) {
      const stored = this.#stored.get(m[3] ?? "");
      if (m[2] !== this.channelId) return [404, apiError(10003, "Unknown Channel")];
      if (!stored || stored.ephemeral || stored.api.channel_id !== m[2]) return [404, apiError(10008, "Unknown Message")];
      if (m[1] === "GET") return [200, stored.api];
      const invalid = validateMessage(body, false, files.length);
      if (invalid) return invalid;
      return [200, this.#editMessage(stored, body, "channel", files)];
    }
    if ((m = route.match(/^POST \/interactions\/(\d+)\/([^/]+)\/callback$/))) return this.#callback(m[1] ?? "", m[2] ?? "", body, query, files);
    if ((m = route.match(/^(GET|PATCH|POST|DELETE) \/webhooks\/(\d+)\/([^/]+)(?:\/messages\/(@original|\d+))?$/))) {
      return this.#webhook(m[1] ?? "", m[2] ?? "", m[3] ?? "", m[4], body, query, files);
    }
    return [404, { message: "404: Not Found", code: 0 }];
  }

  #callback(id: string, token: string, body: Json, query: URLSearchParams, files: readonly Upload[]): [number, unknown] {
    const interaction = this.#interactions.get(id);
    if (!interaction || interaction.token !== token) return [404, apiError(10062, "Unknown interaction")];
    if (interaction.acked) return [400, apiError(40060, "Interaction has already been acknowledged.")];
    if (Date.now() - interaction.createdAt > this.#ackDeadlineMs) return [404, apiError(10062, "Unknown interaction")];
    const type = Number(body.type);
    const data = (body.data ?? {}) as Json;
    const isComponent = interaction.componentMessageId !== null;
    if ((type === 6 || type === 7) && !isComponent) return [400, apiError(40043, "Interaction response type not supported for this interaction")];
    if (type === 4 || type === 7) {
      const invalid = validateMessage(data, type === 4, files.length);
      if (invalid) return invalid;
    }
    interaction.acked = true;
    let messageId: string | undefined;
    if (type === 4 || type === 5) {
      const flags = (Number(data.flags ?? 0) & EPHEMERAL) | (type === 5 ? LOADING : 0);
      const message = this.#createMessage(interaction.channelId, type === 4 ? data : { content: "" }, { flags, interaction }, files, "callback");
      messageId = message.id as string;
      interaction.originalId = messageId;
    } else if (type === 6 || type === 7) {
      interaction.originalId = interaction.componentMessageId;
      messageId = interaction.componentMessageId ?? undefined;
      const stored = this.#stored.get(messageId ?? "");
      if (type === 7 && stored) this.#editMessage(stored, data, "interaction", files);
    }
    this.interactionResponses.push({ interactionId: id, type, data, ...(messageId ? { messageId } : {}), latencyMs: Date.now() - interaction.createdAt });
    if (query.get("with_response") !== "true") return [204, undefined];
    const resource = messageId ? { type, message: this.#stored.get(messageId)?.api } : { type };
    return [200, { interaction: { id, type: isComponent ? 3 : 2, response_message_id: messageId, response_message_loading: type === 5, response_message_ephemeral: false }, resource }];
  }

  #webhook(method: string, appId: string, token: string, target: string | undefined, body: Json, query: URLSearchParams, files: readonly Upload[]): [number, unknown] {
    const interaction = [...this.#interactions.values()].find((i) => i.token === token);
    if (appId !== this.applicationId || !interaction || !interaction.acked) return [404, apiError(10015, "Unknown Webhook")];
    if (Date.now() - interaction.createdAt > this.#tokenLifetimeMs) return [401, apiError(50027, "Invalid Webhook Token")];
    if (method === "POST" && target === undefined) {
      const invalid = validateMessage(body, true, files.length);
      if (invalid) return invalid;
      const message = this.#createMessage(interaction.channelId, body, { flags: Number(body.flags ?? 0) & EPHEMERAL, interaction, followUp: true }, files, "follow-up");
      this.interactionResponses.push({ interactionId: interaction.id, type: "follow-up", data: body, messageId: message.id as string });
      return query.get("wait") === "true" ? [200, message] : [204, undefined];
    }
    const messageId = target === "@original" ? interaction.originalId : target;
    const stored = this.#stored.get(messageId ?? "");
    if (!stored || target === undefined) return [404, apiError(10008, "Unknown Message")];
    if (method === "GET") return [200, stored.api];
    if (method === "DELETE") { this.#stored.delete(messageId ?? ""); return [204, undefined]; }
    if (method !== "PATCH") return [405, { message: "405: Method Not Allowed", code: 0 }];
    const invalid = validateMessage(body, false, files.length);
    if (invalid) return invalid;
    const edited = this.#editMessage(stored, body, "interaction", files);
    this.interactionResponses.push({ interactionId: interaction.id, type: "edit-original", data: body, messageId: edited.id as string });
    return [200, edited];
  }

  // ---------------------------------------------------------------- state

  #createMessage(
    channelId: string, body: Json, options: { flags?: number; interaction?: PendingInteraction; followUp?: boolean }, files: readonly Upload[] = [], via: RecordedUpload["via"] = "channel",
  ): Json {
    const id = this.#snowflake();
    const flags = options.flags ?? Number(body.flags ?? 0);
    const i = options.interaction;
    const interactionMetadata = i === undefined ? undefined : interactionMetadataPayload({
      id: i.id, type: i.type, user: i.user, guildId: this.guildId, interactedMessageId: i.componentMessageId,
      ...(options.followUp === true ? { originalResponseMessageId: i.originalId } : {}),
    });
    const api = messagePayload({ id, channelId, applicationId: this.applicationId, author: this.botUser, flags, interactionId: i?.id, interactionMetadata }, body);
    api.attachments = this.#attach(api, body, files, via);
    this.#stored.set(id, { api, ephemeral: (flags & EPHEMERAL) !== 0 });
    return api;
  }

  /**
   * An edit's `attachments` lists the ones to keep (by id) plus the new uploads; one without it
   * keeps the old attachments and adds the uploads.
   */
  #editMessage(stored: StoredMessage, body: Json, via: RecordedEdit["via"], files: readonly Upload[] = []): Json {
    const api = stored.api;
    const old = (api.attachments ?? []) as Json[];
    const keep = Array.isArray(body.attachments) ? old.filter((a) => (body.attachments as Json[]).some((k) => String(k.id) === a.id)) : old;
    api.attachments = [...keep, ...this.#attach(api, body, files, via === "channel" ? "edit" : "edit-original")];
    if (typeof body.content === "string") api.content = body.content;
    if (Array.isArray(body.components)) api.components = withComponentIds(body.components as Json[]);
    api.flags = Number(api.flags) & ~LOADING;
    api.edited_timestamp = new Date().toISOString();
    this.edits.push(recordedEdit(api, body, via));
    const recorded = this.messages.find((m) => m.id === api.id);
    if (recorded) Object.assign(recorded, recordedMessage(api));
    return api;
  }

  #overwriteCommands(body: Json[], guildId: string | null): void {
    const previous = this.registeredCommands.filter((c) => c.guildId === guildId);
    const next = body.map((c): RecordedCommand => ({
      id: previous.find((p) => p.name === c.name && p.type === Number(c.type ?? 1))?.id ?? this.#snowflake(), type: Number(c.type ?? 1), name: c.name as string, description: (c.description ?? "") as string,
      options: ((c.options ?? []) as Json[]).map((o) => ({ ...o, required: o.required === true })), guildId,
    }));
    const others = this.registeredCommands.filter((c) => c.guildId !== guildId);
    this.registeredCommands.splice(0, this.registeredCommands.length, ...others, ...next);
  }

  #attach(api: Json, body: Json, files: readonly Upload[], via: RecordedUpload["via"]): Json[] {
    const channelId = api.channel_id as string;
    const ephemeral = (Number(api.flags) & EPHEMERAL) !== 0;
    for (const f of files) this.uploads.push({ messageId: api.id as string, channelId, via, filename: f.filename, contentType: f.contentType, data: f.data, ephemeral });
    return attachmentPayloads(files, body, () => this.#snowflake(), `http://127.0.0.1:${this.#port}`, channelId);
  }

  #channel(): Json { return channelPayload(this.channelId, this.guildId); }

  #snowflake(): string {
    this.#snowflakeIncrement = (this.#snowflakeIncrement + 1n) & 0xfffn;
    return (((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | this.#snowflakeIncrement).toString();
  }
}
