import { createHmac } from "node:crypto";
import type { VenueReply } from "./exchange-venue-formats";
import { ACCOUNT_ENDPOINTS } from "./private-bybit-account";
import { fail, type BybitEndpoint, type Params } from "./private-bybit-common";
import { executionList } from "./private-bybit-executions";
import { ORDER_ENDPOINTS } from "./private-bybit-orders";
import type { PrivateHandler, PrivateRequest } from "./private-wire";

/**
 * Bybit v5's private REST for a unified trading account, USDT perps: every endpoint ccxt 4.5.84
 * calls to trade (see the modules per area), behind Bybit's authentication. A request carries
 * X-BAPI-API-KEY, X-BAPI-TIMESTAMP, X-BAPI-RECV-WINDOW and X-BAPI-SIGN, the lowercase hex
 * HMAC-SHA256 of timestamp + key + recvWindow + (the query string of a GET | the raw body of a
 * POST) under the key's secret; the timestamp must lie in [server time − recvWindow, server time + 1 s).
 */

interface Endpoint { readonly method: "GET" | "POST"; readonly trading: boolean; readonly handle: BybitEndpoint }

const ENDPOINTS: Readonly<Record<string, Endpoint>> = {
  ...ACCOUNT_ENDPOINTS,
  ...ORDER_ENDPOINTS,
  "/v5/execution/list": { method: "GET", trading: false, handle: executionList },
};

function header(request: PrivateRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The query string exactly as the client signed it. ccxt signs its parameters unencoded
 * (`rawencode`), so the decoded pairs joined in their order reproduce it.
 */
function signedQuery(request: PrivateRequest): string {
  return [...request.query].map(([key, value]) => `${key}=${value}`).join("&");
}

/** Bybit's answer to a request that fails authentication, or null when it passes. */
function authenticate(request: PrivateRequest, now: number, credentials: { readonly apiKey: string; readonly secret: string }): VenueReply | null {
  const apiKey = header(request, "x-bapi-api-key");
  if (apiKey === undefined || apiKey !== credentials.apiKey) return fail(now, 10003, "API key is invalid.");
  const timestamp = header(request, "x-bapi-timestamp") ?? "";
  const recvWindow = header(request, "x-bapi-recv-window") ?? "";
  const window = recvWindow === "" ? 5000 : Number(recvWindow);
  const ts = Number(timestamp);
  if (!/^\d+$/.test(timestamp) || !(ts >= now - window && ts < now + 1000)) {
    return fail(now, 10002, `invalid request, please check your server timestamp or recv_window param. req_timestamp[${timestamp}],server_timestamp[${now}],recv_window[${window}]`);
  }
  const payload = `${timestamp}${apiKey}${recvWindow}${request.method === "GET" ? signedQuery(request) : request.body}`;
  const expected = createHmac("sha256", credentials.secret).update(payload).digest("hex");
  if (header(request, "x-bapi-sign") !== expected) return fail(now, 10004, `error sign! origin_string[${payload}]`);
  return null;
}

function parameters(request: PrivateRequest): Params | null {
  if (request.method === "GET") return Object.fromEntries(request.query);
  try {
    const parsed: unknown = JSON.parse(request.body === "" ? "{}" : request.body);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Params) : null;
  } catch {
    return null;
  }
}

export const bybitPrivate: PrivateHandler = (request, context) => {
  const endpoint = ENDPOINTS[request.path];
  if (endpoint === undefined) return null; // public market data, answered by the public router
  const { now, account } = context;
  if (request.method !== endpoint.method) return fail(now, 10017, "request path not found or request method is invalid");
  const refused = authenticate(request, now, account.credentials);
  if (refused !== null) return refused;
  if (endpoint.trading && !account.credentials.canTrade) return fail(now, 10005, "Permission denied, please check your API key permissions.");
  const params = parameters(request);
  if (params === null) return fail(now, 10001, "params error: the request body is not a JSON object");
  return endpoint.handle({ params, context });
};
