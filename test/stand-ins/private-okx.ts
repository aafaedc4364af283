import type { PrivateHandler } from "./private-wire";
import { getBalance, getBills, getBillsArchive, getConfig, getCurrencies, getPositions, setLeverage, setPositionMode } from "./private-okx-account";
import { checkSignature } from "./private-okx-auth";
import {
  getAlgoOrder, getAlgoOrdersHistory, getAlgoOrdersPending, getFills, getFillsHistory, getOrder, getOrdersHistory, getOrdersHistoryArchive, getOrdersPending,
} from "./private-okx-lookups";
import { cancelAlgos, cancelOrder, placeAlgoOrder, placeBatchOrders, placeOrder } from "./private-okx-orders";
import { fail, type OkxRoute } from "./private-okx-wire";

/**
 * OKX v5's private REST endpoints for a USDT-margined SWAP account in net position mode, in
 * OKX's wire format (see the private-okx-*.ts modules). Every request is signed (OK-ACCESS-* headers,
 * checked first); a path that is not one of these returns null so the public router answers it.
 */
const ROUTES: Readonly<Record<string, OkxRoute>> = {
  "POST /api/v5/trade/order": placeOrder,
  "POST /api/v5/trade/batch-orders": placeBatchOrders,
  "POST /api/v5/trade/order-algo": placeAlgoOrder,
  "POST /api/v5/trade/cancel-order": cancelOrder,
  "POST /api/v5/trade/cancel-algos": cancelAlgos,
  "GET /api/v5/trade/order": getOrder,
  "GET /api/v5/trade/orders-pending": getOrdersPending,
  "GET /api/v5/trade/orders-history": getOrdersHistory,
  "GET /api/v5/trade/orders-history-archive": getOrdersHistoryArchive,
  "GET /api/v5/trade/order-algo": getAlgoOrder,
  "GET /api/v5/trade/orders-algo-pending": getAlgoOrdersPending,
  "GET /api/v5/trade/orders-algo-history": getAlgoOrdersHistory,
  "GET /api/v5/trade/fills": getFills,
  "GET /api/v5/trade/fills-history": getFillsHistory,
  "GET /api/v5/account/balance": getBalance,
  "GET /api/v5/account/positions": getPositions,
  "GET /api/v5/account/config": getConfig,
  "GET /api/v5/account/bills": getBills,
  "GET /api/v5/account/bills-archive": getBillsArchive,
  "POST /api/v5/account/set-leverage": setLeverage,
  "POST /api/v5/account/set-position-mode": setPositionMode,
  "GET /api/v5/asset/currencies": getCurrencies,
};

export const okxPrivate: PrivateHandler = (request, context) => {
  const route = ROUTES[`${request.method.toUpperCase()} ${request.path}`];
  if (route === undefined) return null;
  const refused = checkSignature(request, context);
  if (refused !== null) return refused;
  let body: unknown;
  if (request.method.toUpperCase() !== "GET" && request.body !== "") {
    try {
      body = JSON.parse(request.body);
    } catch {
      return fail("50002", "Json data format error", 400);
    }
  }
  return route({ method: request.method, path: request.path, query: request.query, body, headers: request.headers }, context);
};
