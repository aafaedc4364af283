import type { OrderType, PlaceError, StandInAccount, Transport } from "./exchange-account";
import type { SymbolState, VenueReply } from "./exchange-venue-formats";
import type { PrivateContext } from "./private-wire";
import { checkTradePermission } from "./private-okx-auth";
import { isConditional } from "./private-okx-render";
import {
  field, findInstrument, isWholeLots, itemsReply, LEGAL_CLIENT_ID, MAX_MARKET_SIZE, MIN_SIZE, marginModeOf, okxState, toBase, fail,
  type ItemResult, type MarginMode, type OkxRequest, type OkxRoute,
} from "./private-okx-wire";

/**
 * Placing and cancelling on OKX v5: POST /trade/order (one object) and /trade/batch-orders (an
 * array, ccxt's default) for market orders, /trade/order-algo for conditional stop-loss and
 * take-profit orders, /trade/cancel-order and /trade/cancel-algos. Each item is answered on its
 * own (sCode/sMsg) inside an envelope whose code is "0", "1" (all failed) or "2" (some failed).
 */

interface Refusal { readonly code: string; readonly msg: string }
const refuse = (code: string, msg: string): Refusal => ({ code, msg });
const badParam = (name: string): Refusal => refuse("51000", `Parameter ${name} error`);

const NO_POSITION = refuse("51169", "Order failed because you don't have any positions in this direction for this contract to reduce or close.");
const SAME_DIRECTION = refuse("51170", "Failed to place order. A reduce-only order can't be the same trading direction as your existing positions.");

interface Placement { readonly result: ItemResult; readonly transport: Transport }

let anonymous = 0;

/** Checks one order item as OKX does and books it; the account decides duplicates, margin and reduce-only. */
function placeOne(raw: unknown, context: PrivateContext, algo: boolean): Placement {
  const now = context.now;
  const givenId = algo ? (field(raw, "algoClOrdId") ?? field(raw, "clOrdId")) : field(raw, "clOrdId");
  const tag = field(raw, "tag") ?? "";
  const answer = (sCode: string, sMsg: string, venueOrderId = ""): ItemResult => ({
    ok: sCode === "0",
    item: algo
      ? { algoId: venueOrderId, clOrdId: givenId ?? "", algoClOrdId: givenId ?? "", sCode, sMsg, tag }
      : { clOrdId: givenId ?? "", ordId: venueOrderId, tag, ts: String(now), sCode, sMsg: sCode === "0" ? "Order placed" : sMsg },
  });
  const refused = (r: Refusal): Placement => ({ result: answer(r.code, r.msg), transport: "normal" });

  const checked = validate(raw, context, algo, givenId);
  if ("code" in checked) return refused(checked);
  const { s, side, type, sz, reduceOnly, triggerPrice, tdMode } = checked;
  const account = context.account;
  // The client id is checked on arrival, before anything about the position.
  if (givenId !== undefined && account.orders.some((o) => o.clientOrderId === givenId)) return refused(placeError("duplicate-client-id", account, s, side, type));
  const position = account.positions.get(s.symbol);
  if (position !== undefined && marginModeOf(account, s.symbol) !== tdMode) {
    // A net-mode position belongs to one margin mode: a reduce-only order in the other one has nothing to reduce.
    // (OKX would open a second position in the other mode; this stand-in keeps one per symbol and refuses it.)
    return refused(reduceOnly ? NO_POSITION : badParam("tdMode"));
  }

  const outcome = account.placeOrder({
    clientOrderId: givenId ?? `okx-anonymous-${++anonymous}`, symbol: s.symbol, side, type, amount: toBase(sz, s), reduceOnly, triggerPrice,
  });
  if (!outcome.ok) return refused(placeError(outcome.error, account, s, side, type));
  okxState(account).tdMode.set(outcome.order.id, tdMode);
  // The position an order opens is in the order's margin mode.
  if (position === undefined && account.positions.has(s.symbol)) account.setMarginMode(s.symbol, tdMode);
  return { result: answer("0", "", outcome.order.id), transport: outcome.transport };
}

interface ValidOrder {
  readonly s: SymbolState; readonly side: "buy" | "sell"; readonly type: OrderType; readonly sz: number;
  readonly reduceOnly: boolean; readonly triggerPrice: number | null; readonly tdMode: MarginMode;
}

function validate(raw: unknown, context: PrivateContext, algo: boolean, clientId: string | undefined): ValidOrder | Refusal {
  const instId = field(raw, "instId");
  if (instId === undefined) return refuse("50014", "Parameter instId can not be empty.");
  const s = findInstrument(context, instId);
  if (s === undefined) return refuse("51001", "Instrument ID or Spread ID doesn't exist.");
  const tdMode = field(raw, "tdMode");
  if (tdMode !== "cross" && tdMode !== "isolated") return badParam("tdMode");
  const side = field(raw, "side");
  if (side !== "buy" && side !== "sell") return badParam("side");
  const ordType = field(raw, "ordType");
  if (ordType !== (algo ? "conditional" : "market")) return badParam("ordType"); // the stand-in models market and conditional only
  if (clientId !== undefined && !LEGAL_CLIENT_ID.test(clientId)) return badParam(algo ? "algoClOrdId" : "clOrdId");

  // Net mode takes no posSide (or "net"); long/short mode requires one, and is not modelled beyond refusing.
  const posSide = field(raw, "posSide");
  const netMode = okxState(context.account).posMode === "net_mode";
  if (!netMode || (posSide !== undefined && posSide !== "net")) return badParam("posSide");

  const sz = Number(field(raw, "sz"));
  if (!Number.isFinite(sz) || sz <= 0) return badParam("sz");
  if (!isWholeLots(sz)) return refuse("51121", "Order quantity must be a multiple of the lot size.");
  if (sz < MIN_SIZE) return refuse("51020", "Your order should meet or exceed the minimum order amount.");
  if (!algo && sz > MAX_MARKET_SIZE) return refuse("51202", "Market order amount exceeds the maximum amount.");

  const reduceOnlyText = field(raw, "reduceOnly") ?? "false";
  if (reduceOnlyText !== "true" && reduceOnlyText !== "false") return badParam("reduceOnly");
  const reduceOnly = reduceOnlyText === "true";
  if (!algo) return { s, side, type: "market", sz, reduceOnly, triggerPrice: null, tdMode };

  const sl = field(raw, "slTriggerPx");
  const tp = field(raw, "tpTriggerPx");
  if ((sl === undefined) === (tp === undefined)) return badParam(sl === undefined ? "slTriggerPx" : "tpTriggerPx"); // one leg: "oco" is another ordType
  const stop = sl !== undefined;
  // Only market executions are modelled: a limit price (anything but -1) is refused rather than mis-simulated.
  if (field(raw, stop ? "slOrdPx" : "tpOrdPx") !== "-1") return badParam(stop ? "slOrdPx" : "tpOrdPx");
  const triggerPrice = Number(stop ? sl : tp);
  if (!Number.isFinite(triggerPrice) || triggerPrice <= 0) return badParam(stop ? "slTriggerPx" : "tpTriggerPx");
  return { s, side, type: stop ? "stop-market" : "take-profit-market", sz, reduceOnly, triggerPrice, tdMode };
}

/** The account's refusal in OKX's code and words. */
function placeError(error: PlaceError, account: StandInAccount, s: SymbolState, side: "buy" | "sell", type: OrderType): Refusal {
  switch (error) {
    case "duplicate-client-id":
      return refuse("51016", "Duplicated clOrdId");
    case "insufficient-margin":
      return refuse("51008", "Order failed. Insufficient USDT margin in account");
    case "reduce-only-rejected": {
      const position = account.positions.get(s.symbol);
      return position === undefined ? NO_POSITION : (position.side === "long") === (side === "buy") ? SAME_DIRECTION : NO_POSITION;
    }
    case "unknown-symbol":
      return refuse("51001", "Instrument ID or Spread ID doesn't exist.");
    case "invalid-amount":
      return badParam("sz");
    case "invalid-trigger-price":
      // A sell stop must sit below the last price, a buy stop above; take-profits the other way round.
      if (type === "stop-market") {
        return side === "sell" ? refuse("51280", "SL trigger price must be less than the last price.") : refuse("51278", "SL trigger price must be greater than the last price.");
      }
      return side === "sell" ? refuse("51279", "TP trigger price must be greater than the last price.") : refuse("51277", "TP trigger price must be less than the last price.");
  }
}

function placeMany(items: readonly unknown[], context: PrivateContext, algo: boolean): VenueReply {
  const placed = items.map((item) => placeOne(item, context, algo));
  const reply = itemsReply(placed.map((p) => p.result), context.now);
  // The order was booked; the answer is lost or replaced by a gateway error (the server acts on this).
  const transport = placed.find((p) => p.transport !== "normal")?.transport ?? "normal";
  return { ...reply, transport };
}

export const placeOrder: OkxRoute = (request, context) =>
  checkTradePermission(context) ?? (isObject(request.body) ? placeMany([request.body], context, false) : fail("50002", "Json data format error", 400));

export const placeBatchOrders: OkxRoute = (request, context) => {
  const refused = checkTradePermission(context);
  if (refused !== null) return refused;
  if (!Array.isArray(request.body) || request.body.length === 0) return fail("50002", "Json data format error", 400);
  if (request.body.length > 20) return fail("51111", "Maximum 20 orders can be placed in bulk.");
  return placeMany(request.body, context, false);
};

export const placeAlgoOrder: OkxRoute = (request, context) =>
  checkTradePermission(context) ?? (isObject(request.body) ? placeMany([request.body], context, true) : fail("50002", "Json data format error", 400));

function isObject(body: unknown): body is Record<string, unknown> {
  return body !== null && typeof body === "object" && !Array.isArray(body);
}

/** POST /trade/cancel-order: one regular order by ordId or clOrdId. */
export const cancelOrder: OkxRoute = (request, context) => {
  const refused = checkTradePermission(context);
  if (refused !== null) return refused;
  const s = findInstrument(context, field(request.body, "instId"));
  const ordId = field(request.body, "ordId");
  const clOrdId = field(request.body, "clOrdId");
  const item = (sCode: string, sMsg: string): ItemResult => ({ ok: sCode === "0", item: { clOrdId: clOrdId ?? "", ordId: ordId ?? "", ts: String(context.now), sCode, sMsg } });
  if (s === undefined) return itemsReply([item("51001", "Instrument ID or Spread ID doesn't exist.")], context.now);
  if (ordId === undefined && clOrdId === undefined) return fail("51003", "Either client order ID or order ID is required.");
  const order = context.account.visibleOrders().find((o) => o.symbol === s.symbol && !isConditional(o) && (o.id === ordId || (clOrdId !== undefined && o.clientOrderId === clOrdId)));
  if (order === undefined) return itemsReply([item("51400", "Order cancellation failed as the order has been filled, canceled or does not exist.")], context.now);
  if (order.status === "cancelled") return itemsReply([item("51401", "Order cancellation failed as the order has been canceled.")], context.now);
  if (order.status !== "open") return itemsReply([item("51402", "Order cancellation failed as the order has been completed.")], context.now);
  context.account.cancelOrder(order);
  return itemsReply([{ ok: true, item: { clOrdId: order.clientOrderId, ordId: order.id, ts: String(context.now), sCode: "0", sMsg: "" } }], context.now);
};

/** POST /trade/cancel-algos: an array of {algoId or algoClOrdId, instId}. */
export const cancelAlgos: OkxRoute = (request: OkxRequest, context) => {
  const refused = checkTradePermission(context);
  if (refused !== null) return refused;
  if (!Array.isArray(request.body) || request.body.length === 0) return fail("50002", "Json data format error", 400);
  const results = request.body.map((entry: unknown): ItemResult => {
    const algoId = field(entry, "algoId");
    const algoClOrdId = field(entry, "algoClOrdId");
    const item = (sCode: string, sMsg: string, id = algoId ?? ""): ItemResult => ({ ok: sCode === "0", item: { algoId: id, algoClOrdId: algoClOrdId ?? "", sCode, sMsg, tag: "" } });
    const s = findInstrument(context, field(entry, "instId"));
    if (s === undefined) return item("51001", "Instrument ID or Spread ID doesn't exist.");
    if (algoId === undefined && algoClOrdId === undefined) return item("50015", "Either parameter algoId or algoClOrdId is required.");
    const order = context.account.visibleOrders().find((o) => o.symbol === s.symbol && isConditional(o) && (o.id === algoId || (algoClOrdId !== undefined && o.clientOrderId === algoClOrdId)));
    if (order === undefined || !context.account.cancelOrder(order)) return item("51400", "Cancellation failed as the order has been filled, canceled or does not exist.");
    return item("0", "", order.id);
  });
  return itemsReply(results, context.now);
};
