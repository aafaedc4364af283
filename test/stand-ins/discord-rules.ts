/**
 * The pure half of the Discord stand-in: the request rules Discord enforces (message length,
 * action-row and button limits, command and option naming, required-before-optional options)
 * and the JSON shapes it sends. Kept free of server state so each rule reads on its own.
 */

import { boundaryOf, imageSize, parseMultipart } from "./multipart-form";

export type Json = Record<string, unknown>;

// What the stand-in records for tests to assert on.
export interface StandInUser { readonly id: string; readonly username: string }
export interface RecordedMessage { id: string; channelId: string; content: string; components: Json[]; flags: number }
export interface RecordedEdit { messageId: string; channelId: string; content?: string; components?: Json[]; via: "channel" | "interaction" }
/** `type` is the callback type (4, 5, 6, 7 …) or what the interaction webhook was used for later. */
export interface RecordedInteractionResponse {
  interactionId: string; type: number | "edit-original" | "follow-up"; data: Json; messageId?: string;
  /** The initial response only: from the press (the interaction created) to this response arriving. */
  latencyMs?: number;
}
export interface RecordedRequest { method: string; path: string; status: number }
/** A file uploaded with a message (multipart `files[n]`), byte for byte, and where it went. */
export interface RecordedUpload {
  messageId: string; channelId: string; via: "channel" | "callback" | "edit-original" | "follow-up" | "edit";
  filename: string; contentType: string | undefined; data: Buffer; ephemeral: boolean;
}
/** A `files[n]` part of a request. */
export interface Upload { index: number; filename: string; contentType: string | undefined; data: Buffer }

/** A refused request: HTTP status and Discord's error body. */
export type Rejection = [number, Json];

export const EPHEMERAL = 64;
/** The upload limit of a guild without boosts (also sent as the interaction's attachment_size_limit). */
export const ATTACHMENT_SIZE_LIMIT = 10_485_760;
const MAX_ATTACHMENTS = 10;
export const LOADING = 128;
const ALL_PERMISSIONS = "2248473465835073";

export const apiError = (code: number, message: string): Json => ({ message, code });
export const bad = (errors: Json): Rejection => [400, { message: "Invalid Form Body", code: 50035, errors }];
export const fieldError = (code: string, message: string): Json => ({ _errors: [{ code, message }] });

// ---------------------------------------------------------------- Discord's validation rules

/**
 * A body is JSON, or multipart/form-data with the JSON in a `payload_json` part and each file in a
 * `files[n]` part (Discord's "uploading files"); anything else is refused as invalid JSON.
 */
export function parseRequestBody(raw: Buffer, contentType: string | undefined): Rejection | { body: Json; files: Upload[] } {
  const boundary = boundaryOf(contentType);
  if (boundary === null) {
    const parsed = parseJsonBody(raw.toString("utf8"), contentType);
    return Array.isArray(parsed) ? parsed : { body: parsed.body, files: [] };
  }
  const parts = parseMultipart(raw, boundary);
  if (parts === null) return [400, apiError(50035, "Invalid Form Body")];
  let body: Json = {};
  const files: Upload[] = [];
  for (const part of parts) {
    const file = /^files\[(\d+)\]$/.exec(part.name);
    if (part.name === "payload_json") {
      try { body = JSON.parse(part.data.toString("utf8")) as Json; } catch { return [400, apiError(50109, "The request body contains invalid JSON.")]; }
    } else if (file !== null) {
      if (part.filename === undefined || part.filename === "") return bad({ [part.name]: fieldError("BASE_TYPE_REQUIRED", "This field is required") });
      files.push({ index: Number(file[1]), filename: part.filename, contentType: part.contentType, data: part.data });
    }
  }
  return { body, files };
}

/** At most 10 files, together within the upload limit (Discord answers 413 beyond it). */
export function validateUploads(files: readonly Upload[]): Rejection | null {
  if (files.length > MAX_ATTACHMENTS) return bad({ files: fieldError("BASE_TYPE_MAX_LENGTH", `Must be ${MAX_ATTACHMENTS} or fewer in length.`) });
  const total = files.reduce((sum, f) => sum + f.data.length, 0);
  if (total > ATTACHMENT_SIZE_LIMIT) return [413, apiError(40005, "Request entity too large")];
  return null;
}

/** The attachment objects Discord stores for uploaded files (images carry their size). */
export function attachmentPayloads(files: readonly Upload[], body: Json, newId: () => string, urlBase: string, channelId: string): Json[] {
  const described = new Map(((body.attachments ?? []) as Json[]).map((a) => [String(a.id), a]));
  return files.map((f) => {
    const id = newId();
    const size = imageSize(f.data);
    const description = described.get(String(f.index))?.description;
    return {
      id, filename: f.filename, size: f.data.length, url: `${urlBase}/attachments/${channelId}/${id}/${f.filename}`,
      proxy_url: `${urlBase}/attachments/${channelId}/${id}/${f.filename}`, content_type: f.contentType ?? "application/octet-stream",
      ...(size === null ? {} : { width: size.width, height: size.height }), ...(typeof description === "string" ? { description } : {}),
    };
  });
}

/** A request body must be declared and parse as JSON; the parsed value may be an array (command overwrite). */
export function parseJsonBody(raw: string, contentType: string | undefined): Rejection | { body: Json } {
  if (raw.length === 0) return { body: {} };
  const invalid: Rejection = [400, apiError(50109, "The request body contains invalid JSON.")];
  if (!String(contentType).startsWith("application/json")) return invalid;
  try { return { body: JSON.parse(raw) as Json }; } catch { return invalid; }
}

export function validateMessage(body: Json, creating: boolean, uploads = 0): Rejection | null {
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
  // An uploaded file is content too: a message may be an image alone.
  const empty = !content && !(Array.isArray(rows) && rows.length > 0) && !(Array.isArray(embeds) && embeds.length > 0) && uploads === 0;
  if (creating && empty) return [400, apiError(50006, "Cannot send an empty message")];
  return null;
}

export const SUPPRESS_EMBEDS = 1 << 2;
export const SUPPRESS_NOTIFICATIONS = 1 << 12;

/**
 * A bot's new channel message may set only SUPPRESS_EMBEDS and SUPPRESS_NOTIFICATIONS (Discord's
 * create-message docs); any other bit, or a flags value that is not an integer, is refused.
 */
export function validateCreateFlags(body: Json): Rejection | null {
  if (body.flags === undefined || body.flags === null) return null;
  const flags = typeof body.flags === "string" && /^\d+$/.test(body.flags) ? Number(body.flags) : body.flags;
  if (typeof flags !== "number" || !Number.isInteger(flags) || flags < 0) return bad({ flags: fieldError("NUMBER_TYPE_COERCE", "Value is not int.") });
  if ((flags & ~(SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS)) !== 0) return bad({ flags: fieldError("MESSAGE_FLAGS_INVALID", "Invalid flags: only SUPPRESS_EMBEDS and SUPPRESS_NOTIFICATIONS can be set.") });
  return null;
}

/** Only buttons that exist on the message can be pressed. */
export function hasButton(message: Json, customId: string): boolean {
  const rows = (message.components ?? []) as Json[];
  return rows.some((row) => ((row.components ?? []) as Json[]).some((c) => c.custom_id === customId));
}

/** A scripted 429 carries Retry-After from its body, as Discord's do, unless the test sets headers itself. */
export function failureHeaders(status: number, body: object, headers: Record<string, string>): Record<string, string> {
  const retryAfter = (body as { retry_after?: number }).retry_after;
  const defaults: Record<string, string> = status === 429 && retryAfter !== undefined ? { "Retry-After": String(retryAfter) } : {};
  return { ...defaults, ...headers };
}

// ---------------------------------------------------------------- payloads

/** Discord numbers every component of a stored message (the `id` field added in 2025). */
export function withComponentIds(rows: Json[]): Json[] {
  let next = 1;
  return rows.map((row) => ({ ...row, id: next++, components: ((row.components ?? []) as Json[]).map((c) => ({ ...c, id: next++ })) }));
}

/** Modern apps: the bot user's id is the application id. */
export function botUserPayload(applicationId: string): Json {
  return { id: applicationId, username: "perpbot", discriminator: "0", global_name: null, avatar: null, bot: true, flags: 0, public_flags: 0 };
}

export function gatewayBotPayload(url: string): Json {
  return { url, shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 } };
}

export function applicationPayload(applicationId: string, botUser: Json): Json {
  return { id: applicationId, name: "perpbot", icon: null, description: "", bot_public: false, bot_require_code_grant: false, flags: 0, owner: botUser, team: null, verify_key: "0".repeat(64), bot: botUser };
}

/** A message as Discord stores it; one sent through an interaction (type 20) carries its webhook and metadata. */
export function messagePayload(
  at: { id: string; channelId: string; applicationId: string; author: Json; flags: number; interactionId?: string | undefined; interactionMetadata?: Json | undefined },
  body: Json,
): Json {
  return {
    id: at.id, type: at.interactionId ? 20 : 0, channel_id: at.channelId, author: at.author, content: body.content ?? "",
    timestamp: new Date().toISOString(), edited_timestamp: null, tts: false, mention_everyone: false, mentions: [], mention_roles: [],
    attachments: [], embeds: body.embeds ?? [], pinned: false, flags: at.flags, components: withComponentIds((body.components ?? []) as Json[]),
    ...(at.interactionId ? { webhook_id: at.applicationId, application_id: at.applicationId, interaction_metadata: at.interactionMetadata ?? { id: at.interactionId, type: 2 } } : {}),
  };
}

export function recordedEdit(api: Json, body: Json, via: RecordedEdit["via"]): RecordedEdit {
  return {
    messageId: api.id as string, channelId: api.channel_id as string, via,
    ...(typeof body.content === "string" ? { content: body.content } : {}),
    ...(Array.isArray(body.components) ? { components: api.components as Json[] } : {}),
  };
}

export function recordedMessage(api: Json): RecordedMessage {
  return { id: api.id as string, channelId: api.channel_id as string, content: api.content as string, components: api.components as Json[], flags: Number(api.flags) };
}

export function channelPayload(channelId: string, guildId: string): Json {
  return { id: channelId, type: 0, guild_id: guildId, name: "signals", position: 0, permission_overwrites: [], nsfw: false, parent_id: null, topic: null, last_message_id: null, rate_limit_per_user: 0, flags: 0 };
}

export function readyPayload(ids: { applicationId: string; guildId: string }, botUser: Json, sessionId: string, resumeUrl: string): Json {
  return {
    v: 10, user: botUser, guilds: [{ id: ids.guildId, unavailable: true }], session_id: sessionId,
    resume_gateway_url: resumeUrl, shard: [0, 1], application: { id: ids.applicationId, flags: 0 },
    private_channels: [], relationships: [], presences: [], session_type: "normal", user_settings: {}, guild_join_requests: [],
  };
}

/** GUILD_CREATE: the one guild with the one channel, and the bot as its only member. */
export function guildPayload(guildId: string, ownerId: string, channel: Json, botUser: Json): Json {
  const { guild_id: _guildId, ...guildChannel } = channel;
  return {
    id: guildId, name: "perpbot test guild", icon: null, splash: null, discovery_splash: null, banner: null, description: null, owner_id: ownerId,
    afk_channel_id: null, afk_timeout: 300, verification_level: 0, default_message_notifications: 0, explicit_content_filter: 0, mfa_level: 0, nsfw_level: 0,
    roles: [{ id: guildId, name: "@everyone", color: 0, hoist: false, icon: null, unicode_emoji: null, position: 0, permissions: ALL_PERMISSIONS, managed: false, mentionable: false, flags: 0 }],
    emojis: [], stickers: [], features: [], application_id: null, system_channel_id: null, system_channel_flags: 0, rules_channel_id: null, vanity_url_code: null,
    premium_tier: 0, premium_subscription_count: 0, preferred_locale: "en-US", public_updates_channel_id: null, premium_progress_bar_enabled: false,
    joined_at: new Date().toISOString(), large: false, unavailable: false, member_count: 2, voice_states: [], presences: [], threads: [], stage_instances: [],
    guild_scheduled_events: [], channels: [guildChannel],
    members: [{ user: botUser, roles: [], nick: null, avatar: null, joined_at: new Date().toISOString(), premium_since: null, deaf: false, mute: false, pending: false, flags: 0 }],
  };
}

/** INTERACTION_CREATE as a guild member with every permission would send it. */
/** The user object Discord puts in payloads (interactions, interaction_metadata.user). */
export function apiUserPayload(user: StandInUser): Json {
  return { id: user.id, username: user.username, discriminator: "0", global_name: null, avatar: null, public_flags: 0, flags: 0 };
}

/**
 * A message's interaction_metadata as Discord sends it: always with the user who interacted
 * (discord.js reads `user` from it and throws without it), the interacted message for a button,
 * the original response for a follow-up.
 */
export function interactionMetadataPayload(
  at: { id: string; type: number; user: StandInUser; guildId: string; interactedMessageId: string | null; originalResponseMessageId?: string | null },
): Json {
  return {
    id: at.id, type: at.type, user: apiUserPayload(at.user), authorizing_integration_owners: { "0": at.guildId },
    ...(at.interactedMessageId === null ? {} : { interacted_message_id: at.interactedMessageId }),
    ...(at.originalResponseMessageId === undefined || at.originalResponseMessageId === null ? {} : { original_response_message_id: at.originalResponseMessageId }),
  };
}

export function interactionPayload(
  at: { id: string; token: string; applicationId: string; guildId: string; channelId: string; channel: Json },
  user: StandInUser, type: number, data: Json, extra: Json,
): Json {
  const apiUser = apiUserPayload(user);
  return {
    id: at.id, application_id: at.applicationId, type, data, token: at.token, version: 1, guild_id: at.guildId,
    guild: { id: at.guildId, locale: "en-US", features: [] }, channel_id: at.channelId, channel: at.channel,
    member: { user: apiUser, roles: [], nick: null, avatar: null, joined_at: new Date().toISOString(), premium_since: null, deaf: false, mute: false, pending: false, flags: 0, permissions: ALL_PERMISSIONS },
    app_permissions: ALL_PERMISSIONS, locale: "en-US", guild_locale: "en-US", entitlements: [],
    authorizing_integration_owners: { "0": at.guildId }, context: 0, attachment_size_limit: ATTACHMENT_SIZE_LIMIT, ...extra,
  };
}
