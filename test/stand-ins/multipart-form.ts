/**
 * multipart/form-data as the Telegram and Discord stand-ins receive it (RFC 7578): binary-safe,
 * so uploaded images arrive byte for byte. Shared by telegram-server.ts and discord-server.ts.
 */

export interface FormPart {
  readonly name: string;
  /** Present for a file part. */
  readonly filename?: string;
  readonly contentType?: string;
  readonly data: Buffer;
}

/** The boundary from a Content-Type header, or null when it is not multipart/form-data. */
export function boundaryOf(contentType: string | undefined): string | null {
  if (contentType === undefined || !contentType.toLowerCase().startsWith("multipart/form-data")) return null;
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2] ?? null;
}

/** The parts of a multipart body; null when it is malformed (no closing delimiter, a part without a name). */
export function parseMultipart(body: Buffer, boundary: string): FormPart[] | null {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: FormPart[] = [];
  let at = body.indexOf(delimiter);
  if (at < 0) return null;
  for (;;) {
    const afterDelimiter = at + delimiter.length;
    if (body.subarray(afterDelimiter, afterDelimiter + 2).toString() === "--") return parts; // the closing delimiter
    const headerEnd = body.indexOf("\r\n\r\n", afterDelimiter);
    if (headerEnd < 0) return null;
    const next = body.indexOf(Buffer.concat([Buffer.from("\r\n"), delimiter]), headerEnd + 4);
    if (next < 0) return null;
    const headers = body.subarray(afterDelimiter, headerEnd).toString("utf8");
    const disposition = /content-disposition:\s*form-data([^\r\n]*)/i.exec(headers)?.[1] ?? "";
    const name = /;\s*name="([^"]*)"/i.exec(disposition)?.[1];
    if (name === undefined) return null;
    const filename = /;\s*filename="([^"]*)"/i.exec(disposition)?.[1];
    const contentType = /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1]?.trim();
    parts.push({
      name, data: Buffer.from(body.subarray(headerEnd + 4, next)),
      ...(filename === undefined ? {} : { filename }), ...(contentType === undefined ? {} : { contentType }),
    });
    at = next + 2;
  }
}

/** Width and height of a PNG (from its IHDR chunk) or a JPEG (from its first SOF marker); null for anything else. */
export function imageSize(data: Buffer): { width: number; height: number; format: "png" | "jpeg" } | null {
  if (data.length >= 24 && data.subarray(0, 8).equals(PNG_SIGNATURE) && data.subarray(12, 16).toString("latin1") === "IHDR") {
    return { width: data.readUInt32BE(16), height: data.readUInt32BE(20), format: "png" };
  }
  if (data.length >= 4 && data[0] === 0xff && data[1] === 0xd8) {
    let at = 2;
    while (at + 9 < data.length && data[at] === 0xff) {
      const marker = data[at + 1] ?? 0;
      const length = data.readUInt16BE(at + 2);
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { width: data.readUInt16BE(at + 7), height: data.readUInt16BE(at + 5), format: "jpeg" };
      }
      at += 2 + length;
    }
  }
  return null;
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
