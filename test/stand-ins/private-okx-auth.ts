import { createHmac, timingSafeEqual } from "node:crypto";
import type { VenueReply } from "./exchange-venue-formats";
import type { PrivateContext, PrivateRequest } from "./private-wire";
import { TIMESTAMP_WINDOW_MS, unauthorized } from "./private-okx-wire";

/**
 * OKX v5 request signing: OK-ACCESS-SIGN is the base64 HMAC-SHA256, keyed with the secret, of
 * timestamp + method + requestPath (with "?query" for GET) + body, where the timestamp is the ISO
 * string sent in OK-ACCESS-TIMESTAMP. Key, passphrase and timestamp travel in their own headers.
 * Every refusal is HTTP 401 with OKX's code: 50103/50104/50106/50107 for a missing header, 50111
 * for an unknown key, 50105 for a wrong passphrase, 50112 for an unreadable timestamp, 50102 for
 * one outside the 30-second window, 50113 for a signature that does not match.
 */

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

function header(request: PrivateRequest, name: string): string | undefined {
  const value = request.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === "" ? undefined : text;
}

/** The request path as signed: the server hands over parsed query parameters, re-encoded here in their order. */
function requestPath(request: PrivateRequest): string {
  const query = request.query.toString();
  return query === "" ? request.path : `${request.path}?${query}`;
}

/** Null when the request is signed by the account's key; otherwise OKX's refusal. */
export function checkSignature(request: PrivateRequest, context: PrivateContext): VenueReply | null {
  const credentials = context.account.credentials;
  const key = header(request, "ok-access-key");
  const sign = header(request, "ok-access-sign");
  const timestamp = header(request, "ok-access-timestamp");
  const passphrase = header(request, "ok-access-passphrase");

  if (key === undefined) return unauthorized("50103", 'Request header "OK-ACCESS-KEY" can not be empty.');
  if (passphrase === undefined) return unauthorized("50104", 'Request header "OK-ACCESS-PASSPHRASE" can not be empty.');
  if (sign === undefined) return unauthorized("50106", 'Request header "OK-ACCESS-SIGN" can not be empty.');
  if (timestamp === undefined) return unauthorized("50107", 'Request header "OK-ACCESS-TIMESTAMP" can not be empty.');
  if (key !== credentials.apiKey) return unauthorized("50111", "Invalid OK-ACCESS-KEY.");
  if (!ISO_MS.test(timestamp)) return unauthorized("50112", "Invalid OK-ACCESS-TIMESTAMP.");
  if (Math.abs(Date.parse(timestamp) - context.now) > TIMESTAMP_WINDOW_MS) return unauthorized("50102", "Timestamp request expired.");
  if (passphrase !== credentials.passphrase) return unauthorized("50105", 'Request header "OK-ACCESS-PASSPHRASE" incorrect.');

  const prehash = `${timestamp}${request.method.toUpperCase()}${requestPath(request)}${request.method.toUpperCase() === "GET" ? "" : request.body}`;
  const expected = createHmac("sha256", credentials.secret).update(prehash).digest();
  const given = Buffer.from(sign, "base64");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return unauthorized("50113", "Invalid Sign.");
  return null;
}

/** Trading endpoints need the key's "trade" permission (50120 otherwise). */
export function checkTradePermission(context: PrivateContext): VenueReply | null {
  return context.account.credentials.canTrade ? null : unauthorized("50120", "API key doesn't have permission to use this function.");
}
