import type { IncomingMessage, ServerResponse } from "node:http";
import type { InlineKeyboardMarkup, Message, PhotoSize } from "telegraf/types";
import { boundaryOf, imageSize, parseMultipart } from "./multipart-form";

/**
 * The Telegram Bot API's wire format as the stand-in (telegram-server.ts) speaks it: parameters
 * from JSON, urlencoded or multipart bodies (uploads kept byte for byte), the error bodies and
 * texts Telegram answers with, and the checks a photo upload must pass.
 */

export interface ApiErrorBody { error_code: number; description: string; parameters?: { retry_after?: number } }

export type Params = Record<string, unknown>;
export type BotMessage = Message.TextMessage & { reply_markup?: InlineKeyboardMarkup };
export type BotPhotoMessage = Message.PhotoMessage & { reply_markup?: InlineKeyboardMarkup };

/** A file part of a multipart request (an upload), as opposed to a plain form field. */
export class UploadedFile {
  constructor(readonly data: Buffer, readonly filename: string | undefined, readonly contentType: string | undefined) {}
}

export class ApiFailure extends Error {
  constructor(readonly body: ApiErrorBody) { super(body.description); }
}
export const badRequest = (what: string) => new ApiFailure({ error_code: 400, description: `Bad Request: ${what}` });
/** Bot API limits for photos: 10 MB, width + height ≤ 10,000, sides at most 20:1; captions 0-1,024 characters. */
const MAX_PHOTO_BYTES = 10 * 1024 * 1024;
const MAX_CAPTION = 1024;
export const NOT_MODIFIED = "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";

// Form and query values arrive as strings; JSON bodies carry real types. Accept both, as Telegram does.
export const str = (v: unknown): string | undefined => (v instanceof UploadedFile ? v.data.toString("utf8") : typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : undefined);
export const int = (v: unknown): number | undefined => (v === undefined || v === null || v === "" ? undefined : Number(v));
export const json = <T>(v: unknown): T | undefined => (typeof v === "string" ? (v === "" ? undefined : JSON.parse(v) as T) : v as T | undefined);
export const bool = (v: unknown): boolean => v === true || v === "true";
/**
 * An optional Boolean parameter that the request must spell as one (disable_notification): JSON
 * true/false, or "true"/"false" in a form or query; anything else is refused, not read as false.
 */
export function optionalBool(p: Params, name: string): boolean {
  const v = p[name];
  if (v === undefined || v === true || v === false || v === "true" || v === "false") return bool(v);
  throw badRequest(`can't parse ${name} as Boolean`);
}
export const now = () => Math.floor(Date.now() / 1000);


/**
 * A photo uploaded with multipart/form-data (a file_id or URL cannot be fetched here and is
 * refused). Checked as Telegram does: present, non-empty, ≤ 10 MB, a decodable image within the
 * size and ratio limits, a caption of at most 1,024 characters.
 */
export function checkedPhoto(p: Params): { photo: UploadedFile; width: number; height: number; format: "png" | "jpeg"; caption: string | undefined } {
  const photo = p.photo;
  if (photo === undefined || photo === "") throw badRequest("there is no photo in the request");
  if (!(photo instanceof UploadedFile)) throw badRequest("wrong file identifier/HTTP URL specified");
  if (photo.data.length === 0) throw badRequest("file must be non-empty");
  if (photo.data.length > MAX_PHOTO_BYTES) throw badRequest("file is too big");
  const size = imageSize(photo.data);
  if (size === null) throw badRequest("IMAGE_PROCESS_FAILED");
  const { width, height } = size;
  if (width + height > 10_000 || Math.max(width, height) > 20 * Math.min(width, height)) throw badRequest("PHOTO_INVALID_DIMENSIONS");
  const caption = str(p.caption);
  if (caption !== undefined && caption.length > MAX_CAPTION) throw badRequest("message caption is too long");
  return { photo, width, height, format: size.format, caption };
}

/** Telegram keeps a photo in several sizes (thumbnails up to the original), smallest first. */
export function photoSizes(chatId: number, messageId: number, width: number, height: number, bytes: number): PhotoSize[] {
  const longest = Math.max(width, height);
  const sides = [...[90, 320, 800, 1280].filter((side) => side < longest), Math.min(longest, 2560)];
  return sides.map((side, index) => {
    const scale = side / longest;
    const id = `AgACAgQAAxk${Buffer.from(`${chatId}:${messageId}:${index}`).toString("base64url")}`;
    return {
      file_id: id, file_unique_id: `AQAD${index}${messageId}`, width: Math.round(width * scale), height: Math.round(height * scale),
      file_size: Math.round(bytes * scale * scale),
    };
  });
}

export function conflictError(): ApiFailure {
  return new ApiFailure({ error_code: 409, description: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running" });
}

export function send(res: ServerResponse, body: ApiErrorBody): void {
  res.writeHead(body.error_code, { "content-type": "application/json" }).end(JSON.stringify({ ok: false, ...body }));
}

export async function readBody(req: IncomingMessage): Promise<Params> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  const raw = bytes.toString("utf8");
  const type = req.headers["content-type"] ?? "";
  if (raw === "") return {};
  if (type.includes("application/json")) return JSON.parse(raw) as Params;
  if (type.includes("application/x-www-form-urlencoded")) return Object.fromEntries(new URLSearchParams(raw));
  const boundary = boundaryOf(type);
  if (boundary !== null) {
    // Binary-safe: a file part keeps its bytes (an uploaded photo), a field becomes its text.
    const parts = parseMultipart(bytes, boundary);
    if (parts === null) throw badRequest("can't parse multipart/form-data request");
    return Object.fromEntries(parts.map((part) => [part.name, part.filename === undefined ? part.data.toString("utf8") : new UploadedFile(part.data, part.filename, part.contentType)]));
  }
  throw badRequest("unsupported request content type");
}
