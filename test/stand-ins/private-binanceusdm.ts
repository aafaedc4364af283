import { createHmac, timingSafeEqual } from "node:crypto";
import type { VenueReply } from "./exchange-venue-formats";
import { accountEndpoint, walletEndpoint } from "./private-binanceusdm-account";
import { algoEndpoint } from "./private-binanceusdm-algo";
import { ordersEndpoint } from "./private-binanceusdm-orders";
import { fail, missing, type BinanceCall } from "./private-binanceusdm-wire";
import type { PrivateContext, PrivateHandler, PrivateRequest } from "./private-wire";

/**
 * Binance USD-M's private REST endpoints as ccxt 4.5.84 calls them: SIGNED requests carry the key
 * in X-MBX-APIKEY and `timestamp` (+ optional `recvWindow`) and `signature` among the parameters,
 * the signature being HMAC-SHA256 (hex) of the query string followed by the form body. The key,
 * the timestamp and the signature are checked before anything else, with Binance's codes.
 * Also the two wallet (/sapi) calls ccxt makes with futures keys: fetchCurrencies and the key's
 * restrictions (can it withdraw?).
 */

/** Every signed path this module answers; anything else on /fapi is public (or unknown) and falls through. */
const SIGNED = new Set([
  "/fapi/v1/order", "/fapi/v1/openOrders", "/fapi/v1/allOrders", "/fapi/v1/userTrades", "/fapi/v1/income", "/fapi/v1/leverage",
  "/fapi/v1/marginType", "/fapi/v1/leverageBracket", "/fapi/v1/positionSide/dual", "/fapi/v1/multiAssetsMargin",
  "/fapi/v1/algoOrder", "/fapi/v1/openAlgoOrders", "/fapi/v1/allAlgoOrders",
  "/fapi/v3/account", "/fapi/v3/positionRisk", "/fapi/v2/positionRisk",
  "/sapi/v1/account/apiRestrictions", "/sapi/v1/capital/config/getall", "/sapi/v1/margin/allPairs",
]);

/** What a key without the futures trading permission cannot do (everything that changes the account). */
const TRADING = (method: string, path: string): boolean => path.startsWith("/fapi/") && (method === "POST" || method === "DELETE");

const DEFAULT_RECV_WINDOW = 5_000;
const MAX_RECV_WINDOW = 60_000;

/** qs/RFC 3986 encoding, as ccxt's urlencode writes the query it signs. */
const encode = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The text Binance signs: "totalParams" = query string + request body, without the signature itself. */
function signedText(request: PrivateRequest): string {
  const query = [...request.query].filter(([k]) => k !== "signature").map(([k, v]) => `${encode(k)}=${encode(v)}`).join("&");
  const body = request.body.split("&").filter((part) => part !== "" && !part.startsWith("signature=")).join("&");
  return query + body;
}

function authenticate(request: PrivateRequest, context: PrivateContext, params: URLSearchParams): VenueReply | null {
  const credentials = context.account.credentials;
  const key = request.headers["x-mbx-apikey"];
  if (typeof key !== "string" || key === "") return fail(-2014, "API-key format invalid.", 401);
  if (key !== credentials.apiKey) return fail(-2015, "Invalid API-key, IP, or permissions for action.", 401);
  const timestamp = params.get("timestamp");
  if (timestamp === null || timestamp === "") return missing("timestamp");
  const recvWindow = Number(params.get("recvWindow") ?? DEFAULT_RECV_WINDOW);
  if (!(recvWindow > 0) || recvWindow > MAX_RECV_WINDOW) return fail(-1131, "recvWindow must be less than 60000");
  if (Number(timestamp) > context.now + 1_000) return fail(-1021, "Timestamp for this request was 1000ms ahead of the server's time.");
  if (context.now - Number(timestamp) > recvWindow) return fail(-1021, "Timestamp for this request is outside of the recvWindow.");
  const signature = params.get("signature");
  if (signature === null || signature === "") return missing("signature");
  const expected = createHmac("sha256", credentials.secret).update(signedText(request)).digest("hex");
  const given = Buffer.from(signature.toLowerCase());
  if (given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected))) return fail(-1022, "Signature for this request is not valid.");
  if (TRADING(request.method, request.path) && !credentials.canTrade) return fail(-2015, "Invalid API-key, IP, or permissions for action.", 401);
  return null;
}

export const binanceusdmPrivate: PrivateHandler = (request, context) => {
  if (!SIGNED.has(request.path)) {
    // The public router knows no wallet (/sapi) path: an unknown one is a plain 404, as on Binance.
    return request.path.startsWith("/sapi/") ? { status: 404, body: "<html><body><h1>404 Not Found</h1></body></html>" } : null;
  }
  const params = new URLSearchParams(request.query);
  for (const [k, v] of new URLSearchParams(request.body)) params.append(k, v);
  const refused = authenticate(request, context, params);
  if (refused !== null) return refused;
  const call: BinanceCall = { method: request.method, path: request.path, params, account: context.account, symbols: context.symbols, now: context.now };
  return ordersEndpoint(call) ?? algoEndpoint(call) ?? accountEndpoint(call) ?? walletEndpoint(call)
    ?? { status: 405, body: "<html><body><h1>405 Method Not Allowed</h1></body></html>" };
};
