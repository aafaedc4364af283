import { createHmac } from "node:crypto";
import type { VenueReply } from "./exchange-venue-formats";
import { accountBill, accounts, allPositions, setLeverage, setMarginMode, spotAccountInfo } from "./private-bitget-account";
import { fills, orderDetail, ordersHistory, ordersPending, ordersPlanHistory, ordersPlanPending } from "./private-bitget-lookups";
import { cancelOrder, cancelPlanOrder, placeOrder, placeTpslOrder } from "./private-bitget-orders";
import type { BitgetEndpoint } from "./private-bitget-request";
import type { PrivateHandler, PrivateRequest } from "./private-wire";
import { fail } from "./public-bitget-rules";

/**
 * Bitget v2's private REST for USDT-margined perpetuals (one-way position mode), as ccxt's bitget
 * class calls it: signed with ACCESS-KEY, ACCESS-SIGN (base64 HMAC-SHA256 of
 * timestamp + METHOD + path + "?" + query + body), ACCESS-TIMESTAMP (ms) and ACCESS-PASSPHRASE.
 * Paths that are not private endpoints return null (the public router answers them).
 */

const ROUTES: Readonly<Record<string, BitgetEndpoint>> = {
  "POST /api/v2/mix/order/place-order": placeOrder,
  "POST /api/v2/mix/order/place-tpsl-order": placeTpslOrder,
  "POST /api/v2/mix/order/cancel-order": cancelOrder,
  "POST /api/v2/mix/order/cancel-plan-order": cancelPlanOrder,
  "GET /api/v2/mix/order/detail": orderDetail,
  "GET /api/v2/mix/order/orders-pending": ordersPending,
  "GET /api/v2/mix/order/orders-history": ordersHistory,
  "GET /api/v2/mix/order/orders-plan-pending": ordersPlanPending,
  "GET /api/v2/mix/order/orders-plan-history": ordersPlanHistory,
  "GET /api/v2/mix/order/fills": fills,
  "GET /api/v2/mix/position/all-position": allPositions,
  "GET /api/v2/mix/account/accounts": accounts,
  "GET /api/v2/mix/account/bill": accountBill,
  "POST /api/v2/mix/account/set-leverage": setLeverage,
  "POST /api/v2/mix/account/set-margin-mode": setMarginMode,
  "GET /api/v2/spot/account/info": spotAccountInfo,
};

/** Bitget refuses a request whose ACCESS-TIMESTAMP is further than this from its clock. */
const TIMESTAMP_WINDOW_MS = 30_000;

const header = (request: PrivateRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** Bitget signs the query as sent, not percent-decoded ("?symbol=BTCUSDT&productType=USDT-FUTURES"). */
function rawQuery(request: PrivateRequest): string {
  const pairs = [...request.query.entries()].map(([k, v]) => `${k}=${v}`);
  return pairs.length === 0 ? "" : `?${pairs.join("&")}`;
}

/** The auth checks in Bitget's order and words; null when the request is properly signed. */
function authProblem(request: PrivateRequest, context: Parameters<PrivateHandler>[1]): VenueReply | null {
  const { credentials } = context.account;
  const now = context.now;
  const key = header(request, "access-key");
  const sign = header(request, "access-sign");
  const timestamp = header(request, "access-timestamp");
  const passphrase = header(request, "access-passphrase");
  if (key === undefined || key === "") return fail("40001", "ACCESS_KEY cannot be empty", now);
  if (sign === undefined || sign === "") return fail("40002", "ACCESS_SIGN cannot be empty", now);
  if (timestamp === undefined || !/^\d{13}$/.test(timestamp)) return fail("40005", "Invalid ACCESS_TIMESTAMP", now);
  if (passphrase === undefined || passphrase === "") return fail("40011", "ACCESS_PASSPHRASE cannot be empty", now);
  if (key !== credentials.apiKey) return fail("40006", "Invalid ACCESS_KEY", now);
  if (Math.abs(Number(timestamp) - now) > TIMESTAMP_WINDOW_MS) return fail("40008", "Request timestamp expired", now);
  if (passphrase !== credentials.passphrase) return fail("40012", "apikey/password is incorrect", now);
  const prehash = `${timestamp}${request.method.toUpperCase()}${request.path}${rawQuery(request)}${request.body}`;
  const expected = createHmac("sha256", credentials.secret).update(prehash).digest("base64");
  return sign === expected ? null : fail("40009", "sign signature error", now);
}

function paramsOf(request: PrivateRequest): Record<string, unknown> | null {
  if (request.method !== "POST") return Object.fromEntries(request.query.entries());
  try {
    const parsed: unknown = JSON.parse(request.body === "" ? "{}" : request.body);
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export const bitgetPrivate: PrivateHandler = (request, context) => {
  const endpoint = ROUTES[`${request.method} ${request.path}`];
  if (endpoint === undefined) return null;
  const denied = authProblem(request, context);
  if (denied !== null) return denied;
  if (request.method === "POST" && !(header(request, "content-type") ?? "").toLowerCase().startsWith("application/json")) {
    return fail("40007", "Invalid Content_Type", context.now);
  }
  const params = paramsOf(request);
  if (params === null) return fail("40017", "Parameter verification failed", context.now);
  return endpoint({ params, context });
};
