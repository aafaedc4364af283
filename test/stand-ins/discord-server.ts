/**
 * A local Discord (REST v10 + gateway) good enough for the real discord.js Client:
 * `new Client({ rest: { api: server.apiRoot } })`. It keeps Discord's rules that bots trip over —
 * the 3 s acknowledgement window, one acknowledgement per interaction, 2,000-character messages,
 * button limits, required-before-optional command options, privileged intents — so tests fail
 * where production would.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";

export type Json = Record<string, unknown>;

export interface StandInUser { readonly id: string; readonly username: string }
export interface RecordedMessage { id: string; channelId: string; content: string; components: Json[]; flags: number }
export interface RecordedEdit { messageId: string; channelId: string; content?: string; components?: Json[]; via: "channel" | "interaction" }
/** `type` is the callback type (4, 5, 6, 7 …) or what the interaction webhook was used for later. */
export interface RecordedInteractionResponse {
  interactionId: string; type: number | "edit-original" | "follow-up"; data: Json; messageId?: string;
}
export interface RecordedCommand { id: string; name: string; description: string; options: Json[]; guildId: string | null }
export interface RecordedRequest { method: string; path: string; status: number }

interface StoredMessage { api: Json; ephemeral: boolean }
interface PendingInteraction {
  id: string; token: string; createdAt: number; acked: boolean; originalId: string | null;
  componentMessageId: string | null; channelId: string;
}
interface Failure { method: string; pattern: RegExp; remaining: number; status: number; body: object; headers: Record<string, string> }

const DISCORD_EPOCH = 1_420_070_400_000n;
const PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15); // GuildMembers, GuildPresences, MessageContent
const EPHEMERAL = 64;
const LOADING = 128;
const ALL_PERMISSIONS = "2248473465835073";

export class DiscordStandIn {
  readonly messages: RecordedMessage[] = [];
  readonly edits: RecordedEdit[] = [];
  readonly interactionResponses: RecordedInteractionResponse[] = [];
  readonly registeredCommands: RecordedCommand[] = [];
  readonly requests: RecordedRequest[] = [];
  readonly applicationId: string;
  readonly guildId: string;
  readonly channelId: string;
  readonly token: string;
  /** Snapshot of IDENTIFY payloads (token removed), so tests can check intents. */
  readonly identifies: Json[] = [];

  readonly #server: Server = createServer((req, res) => void this.#handle(req, res));
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #sockets = new Set<WebSocket>();
  readonly #stored = new Map<string, StoredMessage>();
  readonly #interactions = new Map<string, PendingInteraction>();
  #failures: Failure[] = [];
  #sequence = 0;
  #snowflakeIncrement = 0n;
  #port = 0;
  readonly #ackDeadlineMs: number;
  readonly #heartbeatIntervalMs: number;

  constructor(options: { ackDeadlineMs?: number; heartbeatIntervalMs?: number } = {}) {
    this.#ackDeadlineMs = options.ackDeadlineMs ?? 3_000;
    this.#heartbeatIntervalMs = options.heartbeatIntervalMs ?? 41_250;
    this.applicationId = this.#snowflake(); // modern apps: bot user id === application id
    this.guildId = this.#snowflake();
    this.channelId = this.#snowflake();
    this.token = `${Buffer.from(this.applicationId).toString("base64url")}.${randomBytes(4).toString("base64url")}.${randomBytes(20).toString("base64url")}`;
    this.#server.on("upgrade", (req, socket, head) => {
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onGatewayConnection(ws, req));
    });
  }

  get apiRoot(): string { return `http://127.0.0.1:${this.#port}/api`; }
  get botUser(): Json {
    return { id: this.applicationId, username: "perpbot", discriminator: "0", global_name: null, avatar: null, bot: true, flags: 0, public_flags: 0 };
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    this.#port = (this.#server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const ws of this.#sockets) ws.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
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

  /** A user clicks a button on a stored message; only buttons that exist can be pressed. */
  pressButton(user: StandInUser, messageId: string, customId: string): string {
    const stored = this.#stored.get(messageId);
    if (!stored) throw new Error(`pressButton: unknown message ${messageId}`);
    const rows = (stored.api.components ?? []) as Json[];
    const exists = rows.some((row) => ((row.components ?? []) as Json[]).some((c) => c.custom_id === customId));
    if (!exists) throw new Error(`pressButton: message ${messageId} has no button ${customId}`);
    const channelId = stored.api.channel_id as string;
    return this.#dispatchInteraction(user, 3, { custom_id: customId, component_type: 2 }, channelId, messageId, { message: stored.api });
  }

  /** A user runs a registered slash command; options are sent in the command's declared order. */
  runSlashCommand(user: StandInUser, name: string, options: Record<string, string> = {}): string {
    const command = this.registeredCommands.find((c) => c.name === name);
    if (!command) throw new Error(`runSlashCommand: /${name} is not registered`);
    const data: Json[] = [];
    for (const option of command.options) {
      const value = options[option.name as string];
      if (value !== undefined) data.push({ name: option.name, type: 3, value });
      else if (option.required === true) throw new Error(`runSlashCommand: /${name} needs option ${String(option.name)}`);
    }
    const commandData = { id: command.id, name, type: 1, options: data, ...(command.guildId ? { guild_id: command.guildId } : {}) };
    return this.#dispatchInteraction(user, 2, commandData, this.channelId, null, {});
  }

  // ---------------------------------------------------------------- gateway

  #onGatewayConnection(ws: WebSocket, req: IncomingMessage): void {
    const query = new URL(req.url ?? "/", "http://x").searchParams;
    if (query.get("v") !== "10") return ws.close(4012, "Invalid API version");
    if (query.get("encoding") !== "json") return ws.close(4002, "Error while decoding payload.");
    this.#sockets.add(ws);
    ws.on("close", () => this.#sockets.delete(ws));
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: this.#heartbeatIntervalMs }, s: null, t: null }));
    ws.on("message", (raw: Buffer) => {
      let frame: { op?: number; d?: Json };
      try { frame = JSON.parse(raw.toString("utf8")) as typeof frame; } catch { ws.close(4002, "Error while decoding payload."); return; }
      if (frame.op === 1) ws.send(JSON.stringify({ op: 11, d: null, s: null, t: null }));
      else if (frame.op === 2) this.#identify(ws, frame.d ?? {});
      else if (frame.op === 6) ws.send(JSON.stringify({ op: 9, d: false, s: null, t: null })); // no resumable sessions
    });
  }

  #identify(ws: WebSocket, d: Json): void {
    if (d.token !== this.token) return ws.close(4004, "Authentication failed.");
    const { token: _token, ...withoutToken } = d;
    this.identifies.push(withoutToken);
    if ((Number(d.intents) & PRIVILEGED_INTENTS) !== 0) return ws.close(4014, "Disallowed intent(s).");
    (ws as WebSocket & { identified?: boolean }).identified = true;
    this.#send(ws, "READY", {
      v: 10, user: this.botUser, guilds: [{ id: this.guildId, unavailable: true }], session_id: randomBytes(16).toString("hex"),
      resume_gateway_url: `ws://127.0.0.1:${this.#port}`, shard: [0, 1], application: { id: this.applicationId, flags: 0 },
      private_channels: [], relationships: [], presences: [], session_type: "normal", user_settings: {}, guild_join_requests: [],
    });
    this.#send(ws, "GUILD_CREATE", this.#guild());
  }

  #send(ws: WebSocket, t: string, d: Json): void {
    ws.send(JSON.stringify({ op: 0, s: ++this.#sequence, t, d }));
  }

  #dispatch(t: string, d: Json): void {
    const identified = [...this.#sockets].filter((ws) => (ws as WebSocket & { identified?: boolean }).identified);
    if (identified.length === 0) throw new Error(`cannot dispatch ${t}: no identified gateway connection`);
    for (const ws of identified) this.#send(ws, t, d);
  }

  #dispatchInteraction(user: StandInUser, type: number, data: Json, channelId: string, componentMessageId: string | null, extra: Json): string {
    const id = this.#snowflake();
    const token = `aW50ZXJhY3Rpb246${id}${randomBytes(24).toString("base64url")}`;
    this.#interactions.set(id, { id, token, createdAt: Date.now(), acked: false, originalId: null, componentMessageId, channelId });
    const apiUser = { id: user.id, username: user.username, discriminator: "0", global_name: null, avatar: null, public_flags: 0, flags: 0 };
    this.#dispatch("INTERACTION_CREATE", {
      id, application_id: this.applicationId, type, data, token, version: 1, guild_id: this.guildId,
      guild: { id: this.guildId, locale: "en-US", features: [] }, channel_id: channelId, channel: this.#channel(),
      member: { user: apiUser, roles: [], nick: null, avatar: null, joined_at: new Date().toISOString(), premium_since: null, deaf: false, mute: false, pending: false, flags: 0, permissions: ALL_PERMISSIONS },
      app_permissions: ALL_PERMISSIONS, locale: "en-US", guild_locale: "en-US", entitlements: [],
      authorizing_integration_owners: { "0": this.guildId }, context: 0, attachment_size_limit: 10_485_760, ...extra,
    });
    return id;
  }

  // ---------------------------------------------------------------- REST

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = (req.method ?? "GET").toUpperCase();
    const path = decodeURIComponent(url.pathname).replace(/^\/api\/v10/, ""); // discord.js sends "%40original"
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      this.requests.push({ method, path, status });
      res.writeHead(status, { ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...headers });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (!url.pathname.startsWith("/api/v10/")) return reply(404, { message: "404: Not Found", code: 0 });
    const failure = this.#failures.find((f) => f.remaining > 0 && f.method === method && f.pattern.test(path));
    if (failure) {
      failure.remaining -= 1;
      const retryAfter = (failure.body as { retry_after?: number }).retry_after;
      const defaults: Record<string, string> = failure.status === 429 && retryAfter !== undefined ? { "Retry-After": String(retryAfter) } : {};
      return reply(failure.status, failure.body, { ...defaults, ...failure.headers });
    }
    const tokenless = /^\/(interactions|webhooks)\//.test(path);
    if (!tokenless && req.headers.authorization !== `Bot ${this.token}`) return reply(401, { message: "401: Unauthorized", code: 0 });
    let body: Json = {};
    if (raw.length > 0) {
      if (!String(req.headers["content-type"]).startsWith("application/json")) return reply(400, apiError(50109, "The request body contains invalid JSON."));
      try { body = JSON.parse(raw) as Json; } catch { return reply(400, apiError(50109, "The request body contains invalid JSON.")); }
    }
    try {
      const [status, out] = this.#route(method, path, body, url.searchParams);
      reply(status, out);
    } catch (error) {
      reply(500, { message: `stand-in error: ${(error as Error).message}`, code: 0 });
    }
  }

  #route(method: string, path: string, body: Json, query: URLSearchParams): [number, unknown] {
    let m: RegExpMatchArray | null;
    const route = `${method} ${path}`;
    if (route === "GET /gateway/bot") {
      return [200, { url: `ws://127.0.0.1:${this.#port}`, shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 } }];
    }
    if (route === "GET /gateway") return [200, { url: `ws://127.0.0.1:${this.#port}` }];
    if (route === "GET /users/@me") return [200, this.botUser];
    if (route === "GET /applications/@me") {
      return [200, { id: this.applicationId, name: "perpbot", icon: null, description: "", bot_public: false, bot_require_code_grant: false, flags: 0, owner: this.botUser, team: null, verify_key: "0".repeat(64), bot: this.botUser }];
    }
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
      return [200, this.registeredCommands.filter((c) => c.guildId === guildId).map((c) => this.#commandApi(c))];
    }
    if ((m = route.match(/^GET \/channels\/(\d+)$/))) {
      return m[1] === this.channelId ? [200, this.#channel()] : [404, apiError(10003, "Unknown Channel")];
    }
    if ((m = route.match(/^POST \/channels\/(\d+)\/messages$/))) {
      if (m[1] !== this.channelId) return [404, apiError(10003, "Unknown Channel")];
      const invalid = validateMessage(body, true);
      if (invalid) return invalid;
      const message = this.#createMessage(m[1], body, {});
      this.messages.push(this.#record(message));
      return [200, message];
    }
    if ((m = route.match(/^(GET|PATCH) \/channels\/(\d+)\/messages\/(\d+)$/))) {
      const stored = this.#stored.get(m[3] ?? "");
      if (m[2] !== this.channelId) return [404, apiError(10003, "Unknown Channel")];
      if (!stored || stored.ephemeral || stored.api.channel_id !== m[2]) return [404, apiError(10008, "Unknown Message")];
      if (m[1] === "GET") return [200, stored.api];
      const invalid = validateMessage(body, false);
      if (invalid) return invalid;
      return [200, this.#editMessage(stored, body, "channel")];
    }
    if ((m = route.match(/^POST \/interactions\/(\d+)\/([^/]+)\/callback$/))) return this.#callback(m[1] ?? "", m[2] ?? "", body, query);
    if ((m = route.match(/^(GET|PATCH|POST|DELETE) \/webhooks\/(\d+)\/([^/]+)(?:\/messages\/(@original|\d+))?$/))) {
      return this.#webhook(m[1] ?? "", m[2] ?? "", m[3] ?? "", m[4], body, query);
    }
    return [404, { message: "404: Not Found", code: 0 }];
  }

  #callback(id: string, token: string, body: Json, query: URLSearchParams): [number, unknown] {
    const interaction = this.#interactions.get(id);
    if (!interaction || interaction.token !== token) return [404, apiError(10062, "Unknown interaction")];
    if (interaction.acked) return [400, apiError(40060, "Interaction has already been acknowledged.")];
    if (Date.now() - interaction.createdAt > this.#ackDeadlineMs) return [404, apiError(10062, "Unknown interaction")];
    const type = Number(body.type);
    const data = (body.data ?? {}) as Json;
    const isComponent = interaction.componentMessageId !== null;
    if ((type === 6 || type === 7) && !isComponent) return [400, apiError(40043, "Interaction response type not supported for this interaction")];
    if (type === 4 || type === 7) {
      const invalid = validateMessage(data, type === 4);
      if (invalid) return invalid;
    }
    interaction.acked = true;
    let messageId: string | undefined;
    if (type === 4 || type === 5) {
      const flags = (Number(data.flags ?? 0) & EPHEMERAL) | (type === 5 ? LOADING : 0);
      const message = this.#createMessage(interaction.channelId, type === 4 ? data : { content: "" }, { flags, interactionId: id });
      messageId = message.id as string;
      interaction.originalId = messageId;
    } else if (type === 6 || type === 7) {
      interaction.originalId = interaction.componentMessageId;
      messageId = interaction.componentMessageId ?? undefined;
      const stored = this.#stored.get(messageId ?? "");
      if (type === 7 && stored) this.#editMessage(stored, data, "interaction");
    }
    this.interactionResponses.push({ interactionId: id, type, data, ...(messageId ? { messageId } : {}) });
    if (query.get("with_response") !== "true") return [204, undefined];
    const resource = messageId ? { type, message: this.#stored.get(messageId)?.api } : { type };
    return [200, { interaction: { id, type: isComponent ? 3 : 2, response_message_id: messageId, response_message_loading: type === 5, response_message_ephemeral: false }, resource }];
  }

  #webhook(method: string, appId: string, token: string, target: string | undefined, body: Json, query: URLSearchParams): [number, unknown] {
    const interaction = [...this.#interactions.values()].find((i) => i.token === token);
    if (appId !== this.applicationId || !interaction || !interaction.acked) return [404, apiError(10015, "Unknown Webhook")];
    if (method === "POST" && target === undefined) {
      const invalid = validateMessage(body, true);
      if (invalid) return invalid;
      const message = this.#createMessage(interaction.channelId, body, { flags: Number(body.flags ?? 0) & EPHEMERAL, interactionId: interaction.id });
      this.interactionResponses.push({ interactionId: interaction.id, type: "follow-up", data: body, messageId: message.id as string });
      return query.get("wait") === "true" ? [200, message] : [204, undefined];
    }
    const messageId = target === "@original" ? interaction.originalId : target;
    const stored = this.#stored.get(messageId ?? "");
    if (!stored || target === undefined) return [404, apiError(10008, "Unknown Message")];
    if (method === "GET") return [200, stored.api];
    if (method === "DELETE") { this.#stored.delete(messageId ?? ""); return [204, undefined]; }
    if (method !== "PATCH") return [405, { message: "405: Method Not Allowed", code: 0 }];
    const invalid = validateMessage(body, false);
    if (invalid) return invalid;
    const edited = this.#editMessage(stored, body, "interaction");
    this.interactionResponses.push({ interactionId: interaction.id, type: "edit-original", data: body, messageId: edited.id as string });
    return [200, edited];
  }

  // ---------------------------------------------------------------- state

  #createMessage(channelId: string, body: Json, options: { flags?: number; interactionId?: string }): Json {
    const id = this.#snowflake();
    const flags = options.flags ?? Number(body.flags ?? 0);
    const api: Json = {
      id, type: options.interactionId ? 20 : 0, channel_id: channelId, author: this.botUser, content: body.content ?? "",
      timestamp: new Date().toISOString(), edited_timestamp: null, tts: false, mention_everyone: false, mentions: [], mention_roles: [],
      attachments: [], embeds: body.embeds ?? [], pinned: false, flags, components: withComponentIds((body.components ?? []) as Json[]),
      ...(options.interactionId ? { webhook_id: this.applicationId, application_id: this.applicationId, interaction_metadata: { id: options.interactionId, type: 2 } } : {}),
    };
    this.#stored.set(id, { api, ephemeral: (flags & EPHEMERAL) !== 0 });
    return api;
  }

  #editMessage(stored: StoredMessage, body: Json, via: RecordedEdit["via"]): Json {
    const api = stored.api;
    if (typeof body.content === "string") api.content = body.content;
    if (Array.isArray(body.components)) api.components = withComponentIds(body.components as Json[]);
    api.flags = Number(api.flags) & ~LOADING;
    api.edited_timestamp = new Date().toISOString();
    this.edits.push({
      messageId: api.id as string, channelId: api.channel_id as string, via,
      ...(typeof body.content === "string" ? { content: body.content } : {}),
      ...(Array.isArray(body.components) ? { components: api.components as Json[] } : {}),
    });
    const recorded = this.messages.find((m) => m.id === api.id);
    if (recorded) Object.assign(recorded, this.#record(api));
    return api;
  }

  #record(api: Json): RecordedMessage {
    return { id: api.id as string, channelId: api.channel_id as string, content: api.content as string, components: api.components as Json[], flags: Number(api.flags) };
  }

  #overwriteCommands(body: Json[], guildId: string | null): void {
    const previous = this.registeredCommands.filter((c) => c.guildId === guildId);
    const next = body.map((c): RecordedCommand => ({
      id: previous.find((p) => p.name === c.name)?.id ?? this.#snowflake(), name: c.name as string, description: c.description as string,
      options: ((c.options ?? []) as Json[]).map((o) => ({ ...o, required: o.required === true })), guildId,
    }));
    const others = this.registeredCommands.filter((c) => c.guildId !== guildId);
    this.registeredCommands.splice(0, this.registeredCommands.length, ...others, ...next);
  }

  #commandApi(c: RecordedCommand): Json {
    return {
      id: c.id, application_id: this.applicationId, version: this.#snowflake(), type: 1, name: c.name, name_localizations: null, description: c.description,
      description_localizations: null, options: c.options, default_member_permissions: null, nsfw: false, integration_types: [0], contexts: null,
      ...(c.guildId ? { guild_id: c.guildId } : { dm_permission: true }),
    };
  }

  #channel(): Json {
    return { id: this.channelId, type: 0, guild_id: this.guildId, name: "signals", position: 0, permission_overwrites: [], nsfw: false, parent_id: null, topic: null, last_message_id: null, rate_limit_per_user: 0, flags: 0 };
  }

  #guild(): Json {
    const { guild_id: _guildId, ...channel } = this.#channel();
    return {
      id: this.guildId, name: "perpbot test guild", icon: null, splash: null, discovery_splash: null, banner: null, description: null, owner_id: this.#snowflake(),
      afk_channel_id: null, afk_timeout: 300, verification_level: 0, default_message_notifications: 0, explicit_content_filter: 0, mfa_level: 0, nsfw_level: 0,
      roles: [{ id: this.guildId, name: "@everyone", color: 0, hoist: false, icon: null, unicode_emoji: null, position: 0, permissions: ALL_PERMISSIONS, managed: false, mentionable: false, flags: 0 }],
      emojis: [], stickers: [], features: [], application_id: null, system_channel_id: null, system_channel_flags: 0, rules_channel_id: null, vanity_url_code: null,
      premium_tier: 0, premium_subscription_count: 0, preferred_locale: "en-US", public_updates_channel_id: null, premium_progress_bar_enabled: false,
      joined_at: new Date().toISOString(), large: false, unavailable: false, member_count: 2, voice_states: [], presences: [], threads: [], stage_instances: [],
      guild_scheduled_events: [], channels: [channel],
      members: [{ user: this.botUser, roles: [], nick: null, avatar: null, joined_at: new Date().toISOString(), premium_since: null, deaf: false, mute: false, pending: false, flags: 0 }],
    };
  }

  #snowflake(): string {
    this.#snowflakeIncrement = (this.#snowflakeIncrement + 1n) & 0xfffn;
    return (((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | this.#snowflakeIncrement).toString();
  }
}

/** Discord numbers every component of a stored message (the `id` field added in 2025). */
function withComponentIds(rows: Json[]): Json[] {
  let next = 1;
  return rows.map((row) => ({ ...row, id: next++, components: ((row.components ?? []) as Json[]).map((c) => ({ ...c, id: next++ })) }));
}

// ---------------------------------------------------------------- Discord's validation rules

type Rejection = [number, Json];
const apiError = (code: number, message: string): Json => ({ message, code });
const bad = (errors: Json): Rejection => [400, { message: "Invalid Form Body", code: 50035, errors }];
const fieldError = (code: string, message: string): Json => ({ _errors: [{ code, message }] });
const NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

function validateMessage(body: Json, creating: boolean): Rejection | null {
  const { content, components: rows, embeds } = body;
  if (content !== undefined && content !== null && typeof content !== "string") return bad({ content: fieldError("STRING_TYPE_CONVERT", "Must be a string.") });
  if (typeof content === "string" && [...content].length > 2000) return bad({ content: fieldError("BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.") });
  if (rows !== undefined && rows !== null) {
    if (!Array.isArray(rows)) return bad({ components: fieldError("BASE_TYPE_ARRAY", "Must be an array.") });
    if (rows.length > 5) return bad({ components: fieldError("BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.") });
    const seen = new Set<string>();
    for (const [r, row] of (rows as Json[]).entries()) {
      const items = (row.components ?? []) as Json[];
      if (row.type !== 1 || items.length < 1 || items.length > 5) return bad({ components: { [r]: fieldError("BASE_TYPE_BAD_LENGTH", "An action row holds 1 to 5 components.") } });
      for (const [i, c] of items.entries()) {
        const at = (field: string, code: string, message: string): Rejection => bad({ components: { [r]: { components: { [i]: { [field]: fieldError(code, message) } } } } });
        if (c.type !== 2) continue;
        if (![1, 2, 3, 4, 5, 6].includes(Number(c.style))) return at("style", "BASE_TYPE_CHOICES", "Value must be one of (1, 2, 3, 4, 5, 6).");
        if (typeof c.label === "string" && c.label.length > 80) return at("label", "BASE_TYPE_MAX_LENGTH", "Must be 80 or fewer in length.");
        if (c.style === 5 || c.style === 6) continue;
        if (typeof c.custom_id !== "string" || c.custom_id.length < 1 || c.custom_id.length > 100) return at("custom_id", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.");
        if (seen.has(c.custom_id)) return at("custom_id", "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated");
        seen.add(c.custom_id);
      }
    }
  }
  const empty = !content && !(Array.isArray(rows) && rows.length > 0) && !(Array.isArray(embeds) && embeds.length > 0);
  if (creating && empty) return [400, apiError(50006, "Cannot send an empty message")];
  return null;
}

function validateCommands(commands: Json[]): Rejection | null {
  if (commands.length > 100) return bad({ _errors: [{ code: "BASE_TYPE_MAX_LENGTH", message: "Must be 100 or fewer in length." }] });
  const names = new Set<string>();
  for (const [n, command] of commands.entries()) {
    const at = (field: string, code: string, message: string): Rejection => bad({ [n]: { [field]: fieldError(code, message) } });
    const invalidName = checkName(command.name);
    if (invalidName) return at("name", "APPLICATION_COMMAND_INVALID_NAME", invalidName);
    if (names.has(command.name as string)) return at("name", "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique");
    names.add(command.name as string);
    if (!checkDescription(command.description)) return at("description", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.");
    const options = (command.options ?? []) as Json[];
    if (options.length > 25) return at("options", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.");
    let sawOptional = false;
    const optionNames = new Set<string>();
    for (const [o, option] of options.entries()) {
      const atOption = (field: string, code: string, message: string): Rejection => bad({ [n]: { options: { [o]: { [field]: fieldError(code, message) } } } });
      const invalid = checkName(option.name);
      if (invalid) return atOption("name", "APPLICATION_COMMAND_INVALID_NAME", invalid);
      if (optionNames.has(option.name as string)) return atOption("name", "APPLICATION_COMMAND_OPTION_NAME_ALREADY_EXISTS", "Option names must be unique");
      optionNames.add(option.name as string);
      if (!checkDescription(option.description)) return atOption("description", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.");
      if (option.required === true && sawOptional) return atOption("required", "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID", "Required options must be placed before non-required options");
      if (option.required !== true) sawOptional = true;
    }
  }
  return null;
}

function checkName(name: unknown): string | null {
  if (typeof name !== "string" || !NAME.test(name)) return "Command name is invalid";
  return name === name.toLowerCase() ? null : "Command name must be lower case";
}

function checkDescription(description: unknown): boolean {
  return typeof description === "string" && description.length >= 1 && description.length <= 100;
}
