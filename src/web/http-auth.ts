import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/**
 * Credential checks for the operator endpoints (/metrics, /admin/queues). Both sides are hashed
 * first: timingSafeEqual needs equal lengths, and hashing hides the expected length too.
 */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(createHash("sha256").update(given, "utf8").digest(), createHash("sha256").update(expected, "utf8").digest());
}

/** `Authorization: Bearer <token>` → the token, else null. */
export function bearerToken(req: IncomingMessage): string | null {
  const match = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? "");
  return match?.[1] ?? null;
}

/** `Authorization: Basic base64(user:password)` → both, else null. */
export function basicCredentials(req: IncomingMessage): { user: string; password: string } | null {
  const match = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(req.headers.authorization ?? "");
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? null : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Whether the request carries exactly these Basic credentials; both halves are always compared, so the time does not tell which was wrong. */
export function basicAuthMatches(req: IncomingMessage, expected: { user: string; password: string }): boolean {
  const given = basicCredentials(req);
  if (given === null) return false;
  const userOk = sameSecret(given.user, expected.user);
  const passwordOk = sameSecret(given.password, expected.password);
  return userOk && passwordOk;
}
