import Decimal from "decimal.js";
import type { Exchange, Order, Position, Trade } from "ccxt";
import { DDoSProtection, DuplicateOrderId, NetworkError, OrderNotFound, RateLimitExceeded } from "../ccxt-error-classes";
import type { Logger } from "../../log";
import {
  OrderOutcomeUnknownError, type BrokerOrder, type LiveBroker, type OrderRequest, type ProtectionRequest, type ProtectionState,
  type VenueFill, type VenueFundingPayment, type VenuePosition,
} from "../broker";
import { mapCcxtError, scrubSecrets } from "../ccxt-errors";
import { ExchangeError, venueName } from "../errors";
import type { VenueDialect } from "./venue-dialect";

/**
 * The live broker: real orders through ccxt on the trading venue. It never sends an order twice on
 * its own: a placement whose answer is lost (timeout, network error, 5xx) is reported as unknown,
 * to be resolved by looking the client order id up; a "duplicate client id" answer means the
 * order exists and is looked up. Amounts cross this boundary in base units; ccxt counts
 * contracts where the market has a contract size (OKX), so every amount is converted here.
 */
export interface CcxtBrokerOptions {
  readonly exchange: Exchange;
  readonly dialect: VenueDialect;
  readonly logger: Logger;
  readonly leverage: number;
  readonly marginMode: "isolated" | "cross";
  /** Values never to show in a message (keys). */
  readonly secrets: readonly string[];
  /** Waits between look-ups right after a placement (eventual consistency); tests shorten them. */
  readonly settleDelaysMs?: readonly number[];
  readonly sleep?: (ms: number) => Promise<void>;
}

const D = (n: number | string | undefined | null): Decimal => new Decimal(n ?? 0);

/** ccxt order → the broker's report, in base units. */
function reportOf(order: Order, ours: string, contractSize: Decimal, fallbackFee: Decimal | null): BrokerOrder {
  const filled = D(order.filled).times(contractSize);
  const fee = order.fee?.cost !== undefined ? D(order.fee.cost) : fallbackFee ?? D(0);
  const status: BrokerOrder["status"] = order.status === "closed" ? "filled"
    : order.status === "canceled" || order.status === "expired" ? "cancelled"
    : order.status === "rejected" ? "rejected"
    : filled.gt(0) ? "partially-filled" : "open";
  const price = order.average ?? order.price;
  return {
    clientOrderId: ours, status, filledQty: filled, avgPrice: filled.gt(0) && price !== undefined ? D(price) : null, fee: fee.abs(),
    reason: status === "cancelled" || status === "rejected" ? `the venue ${status === "cancelled" ? "cancelled" : "rejected"} it (${order.status ?? "no status"})` : null,
    exchangeOrderId: order.id ?? null,
  };
}

/** ccxt's precision modes (base/functions/number): a step per market, or a count of decimals. */
const DECIMAL_PLACES = 2;
const TICK_SIZE = 4;

/** What the venue's listing says about one market, in base units; `minNotional` null when it states none. */
interface ListedSpec {
  readonly lotSize: number;
  readonly minQty: number;
  readonly minNotional: number | null;
  readonly tickSize: number;
}

const positive = (n: number | undefined): n is number => n !== undefined && Number.isFinite(n) && n > 0;

export function createCcxtBroker(options: CcxtBrokerOptions): LiveBroker {
  const { exchange, dialect, logger } = options;
  const venue = dialect.venue;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const settleDelays = options.settleDelaysMs ?? [150, 400, 1000];
  const prepared = new Set<string>();
  dialect.adaptClient?.(exchange, options.marginMode);
  let marketsLoaded: Promise<unknown> | null = null;
  /** ccxt keeps a failed load's rejected promise and hands it out again unless asked to reload. */
  let marketsFailed = false;

  const fail = (error: unknown): Error => mapCcxtError(error, venue, { secrets: options.secrets, responseHeaders: exchange.last_response_headers as Record<string, string> | undefined });
  async function markets(): Promise<void> {
    marketsLoaded ??= exchange.loadMarkets(marketsFailed).catch((error: unknown) => {
      marketsLoaded = null;
      marketsFailed = true;
      throw error;
    });
    await marketsLoaded;
  }
  const contractSize = (symbol: string): Decimal => D(exchange.market(symbol).contractSize ?? 1);
  const marketContractSize = (symbol: string | undefined): number => {
    const market: { contractSize?: number } | undefined = symbol === undefined ? undefined : (exchange.markets as Record<string, { contractSize?: number } | undefined> | undefined)?.[symbol];
    return market?.contractSize ?? 1;
  };
  /** Base units → the venue's unit, rounded down to its step (never more than asked). */
  function venueAmount(symbol: string, base: Decimal): number {
    return Number(exchange.amountToPrecision(symbol, base.div(contractSize(symbol)).toNumber()));
  }
  /** A precision as a step: ccxt gives the step itself (TICK_SIZE, these venues) or a number of decimals. */
  function stepOf(value: number | undefined, what: string, symbol: string): Decimal {
    const mode = exchange.precisionMode;
    if (mode === TICK_SIZE && positive(value)) return D(value);
    if (mode === DECIMAL_PLACES && value !== undefined && Number.isInteger(value) && value >= 0) return D(10).pow(-value);
    const why = mode === TICK_SIZE || mode === DECIMAL_PLACES ? `lists no usable ${what} for ${symbol} (got ${String(value)})` : `has precision mode ${mode} in ccxt, which gives no ${what} step for ${symbol}`;
    throw new ExchangeError("unknown", venue, `${venueName(venue)} ${why}.`);
  }
  /** The loaded market's steps and minimums, contracts converted to base units (OKX: × contract size). */
  const listed = new Map<string, ListedSpec>();
  function listedSpec(symbol: string): ListedSpec {
    const known = listed.get(symbol);
    if (known !== undefined) return known;
    const market = exchange.market(symbol);
    const size = D(market.contractSize ?? 1);
    const lot = stepOf(market.precision.amount, "amount step", symbol).times(size);
    const tick = stepOf(market.precision.price, "price tick", symbol);
    // A market order must also meet the market-order minimum where the venue has one (Binance MARKET_LOT_SIZE).
    const limits = market.limits as typeof market.limits & { readonly market?: { readonly min?: number } };
    const minContracts = Math.max(...[limits.amount?.min, limits.market?.min].filter(positive), 0);
    const minQty = minContracts > 0 ? D(minContracts).times(size) : lot;
    const minCost = limits.cost?.min;
    const spec: ListedSpec = { lotSize: lot.toNumber(), minQty: minQty.toNumber(), minNotional: positive(minCost) ? minCost : null, tickSize: tick.toNumber() };
    listed.set(symbol, spec);
    return spec;
  }
  function assertVenue(asked: string): void {
    if (asked !== venue) throw new Error(`the live broker trades on ${venue}, not ${asked}`);
  }
  /** One venue call as the broker answers it: on the trading venue only, every error mapped (and scrubbed of keys). */
  async function guarded<T>(asked: string, work: () => Promise<T>): Promise<T> {
    assertVenue(asked);
    try {
      return await work();
    } catch (error) {
      throw fail(error);
    }
  }

  /** Fees from the fills when the order endpoint carries none (Binance's does not). */
  async function feeFromFills(symbol: string, order: Order): Promise<Decimal | null> {
    if (order.fee?.cost !== undefined || !(D(order.filled).gt(0))) return null;
    const trades = await exchange.fetchMyTrades(symbol, (order.timestamp ?? Date.now()) - 60_000);
    return trades.filter((t) => t.order === order.id).reduce((sum, t) => sum.plus(D(t.fee?.cost)), D(0));
  }

  async function find(symbol: string, ours: string, conditional: boolean): Promise<Order | null> {
    await markets();
    return dialect.findOrder(exchange, symbol, dialect.clientOrderId(ours), conditional);
  }

  async function findReport(symbol: string, ours: string, conditional = false): Promise<BrokerOrder | null> {
    const order = await find(symbol, ours, conditional);
    return order === null ? null : reportOf(order, ours, contractSize(symbol), await feeFromFills(symbol, order));
  }

  /** After an accepted placement: the order as the venue shows it, waiting out a short visibility lag. */
  async function settle(symbol: string, ours: string, accepted: string | undefined): Promise<BrokerOrder> {
    for (const delay of [0, ...settleDelays]) {
      if (delay > 0) await sleep(delay);
      const report = await findReport(symbol, ours);
      if (report !== null && (report.status !== "open" && report.status !== "partially-filled")) return report;
      if (report !== null && delay === settleDelays.at(-1)) return report;
    }
    throw new OrderOutcomeUnknownError(`${venue} accepted order ${ours}${accepted ? ` (id ${accepted})` : ""} but does not show it yet`);
  }

  async function prepare(symbol: string): Promise<void> {
    if (prepared.has(symbol)) return;
    await dialect.prepareSymbol(exchange, symbol, options.leverage, options.marginMode);
    prepared.add(symbol);
    logger.info({ venue, symbol, leverage: options.leverage, marginMode: options.marginMode }, "leverage and margin mode set");
  }

  async function place(request: OrderRequest): Promise<BrokerOrder> {
    assertVenue(request.venue);
    try {
      await markets();
      if (!request.reduceOnly) await prepare(request.symbol);
    } catch (error) {
      throw fail(error);
    }
    const amount = venueAmount(request.symbol, request.quantity);
    const id = dialect.clientOrderId(request.clientOrderId);
    let created: Order;
    try {
      created = await exchange.createOrder(request.symbol, "market", request.side, amount, undefined, dialect.marketOrderParams(id, request.reduceOnly));
    } catch (error) {
      if (error instanceof DuplicateOrderId || dialect.isDuplicateClientOrderId?.(error) === true) {
        // The venue holds this client id: the order exists. Report it; never send another.
        const existing = await findReport(request.symbol, request.clientOrderId);
        if (existing !== null) return existing;
        throw new OrderOutcomeUnknownError(`${venue} says order ${request.clientOrderId} exists but does not show it yet`);
      }
      // Refused before it reached the book: nothing was placed.
      if (error instanceof DDoSProtection || error instanceof RateLimitExceeded) throw fail(error);
      // No answer, or a gateway error after the request left: the order may exist.
      if (error instanceof NetworkError) throw new OrderOutcomeUnknownError(scrubSecrets(`${venue}: ${error.constructor.name}: ${error.message}`, options.secrets).slice(0, 300));
      const mapped = fail(error);
      logger.warn({ venue, clientOrderId: request.clientOrderId, error: mapped.message }, "order refused by the venue");
      return { clientOrderId: request.clientOrderId, status: "rejected", filledQty: D(0), avgPrice: null, fee: D(0), reason: mapped.message, exchangeOrderId: null };
    }
    return settle(request.symbol, request.clientOrderId, created.id);
  }

  async function protectOne(request: ProtectionRequest, spec: ProtectionRequest["orders"][number], amount: number): Promise<ProtectionState> {
    const base = { kind: spec.kind, clientOrderId: spec.clientOrderId };
    const existing = await find(request.symbol, spec.clientOrderId, true);
    if (existing !== null && existing.status === "open") return { ...base, outcome: "present", exchangeOrderId: existing.id ?? null, error: null };
    if (existing !== null && existing.status === "closed") return { ...base, outcome: "filled", exchangeOrderId: existing.id ?? null, error: null };
    if (existing !== null) return { ...base, outcome: "missing", exchangeOrderId: existing.id ?? null, error: `the ${spec.kind} order is ${existing.status ?? "gone"}` };
    // The venue's tick: a trigger off the tick is refused.
    const trigger = Number(exchange.priceToPrecision(request.symbol, spec.triggerPrice));
    const { type, params } = dialect.protectiveOrder(spec.kind, dialect.clientOrderId(spec.clientOrderId), trigger);
    try {
      await exchange.createOrder(request.symbol, type, request.side, amount, undefined, params);
    } catch (error) {
      if (!(error instanceof DuplicateOrderId) && dialect.isDuplicateClientOrderId?.(error) !== true) return { ...base, outcome: "missing", exchangeOrderId: null, error: fail(error).message };
    }
    // Verify: an answer of success is not proof the venue keeps the order.
    for (const delay of [0, ...settleDelays]) {
      if (delay > 0) await sleep(delay);
      const found = await find(request.symbol, spec.clientOrderId, true);
      if (found !== null && found.status === "open") return { ...base, outcome: "placed", exchangeOrderId: found.id ?? null, error: null };
    }
    return { ...base, outcome: "missing", exchangeOrderId: null, error: `${venue} answered the ${spec.kind} order but does not show it` };
  }

  return {
    mode: "live",
    lookupIsAuthoritative: false,
    findOrder: (asked, symbol, clientOrderId) => guarded(asked, async () => {
      return await findReport(symbol, clientOrderId);
    }),
    placeOrder: place,
    cancelOrder: (asked, symbol, clientOrderId) => guarded(asked, async () => {
      const order = await find(symbol, clientOrderId, false);
      if (order === null) return null;
      if (order.status === "open" && order.id !== undefined) {
        // Finished in the meantime (filled or cancelled by the venue): nothing to cancel, it is read again below.
        await exchange.cancelOrder(order.id, symbol).catch((error: unknown) => {
          if (!(error instanceof OrderNotFound)) throw error;
        });
      }
      return await findReport(symbol, clientOrderId);
    }),
    findProtectiveOrder: (asked, symbol, clientOrderId) => guarded(asked, async () => {
      return await findReport(symbol, clientOrderId, true);
    }),
    protect: (request) => guarded(request.venue, async () => {
      await markets();
      const amount = venueAmount(request.symbol, request.quantity);
      const states: ProtectionState[] = [];
      for (const spec of request.orders) states.push(await protectOne(request, spec, amount));
      return states;
    }),
    cancelProtection: (asked, symbol, clientOrderIds) => guarded(asked, async () => {
      await markets();
      const ids = new Set(clientOrderIds.map((id) => dialect.clientOrderId(id)));
      for (const order of await dialect.openProtectiveOrders(exchange, symbol)) {
        if (order.clientOrderId !== undefined && ids.has(order.clientOrderId)) await dialect.cancelProtectiveOrder(exchange, symbol, order);
      }
    }),
    positions: (asked) => guarded(asked, async () => {
      await markets();
      let all: Position[] = await exchange.fetchPositions();
      // A position in a market listed after our market list was loaded: reload once and read again.
      if (all.some((p) => p.symbol === undefined || exchange.markets?.[p.symbol] === undefined)) {
        await exchange.loadMarkets(true);
        all = await exchange.fetchPositions();
      }
      return all.filter((p) => D(p.contracts).gt(0)).map((p): VenuePosition => ({
        symbol: p.symbol ?? "", side: p.side === "short" ? "short" : "long",
        quantity: D(p.contracts).times(D(p.contractSize ?? marketContractSize(p.symbol))), entryPrice: D(p.entryPrice),
      }));
    }),
    fills: (asked, symbol, since) => guarded(asked, async () => {
      await markets();
      const size = contractSize(symbol);
      const trades: Trade[] = await exchange.fetchMyTrades(symbol, since);
      return trades.map((t): VenueFill => ({
        id: String(t.id), orderId: t.order ?? null,
        side: t.side === "sell" ? "sell" : "buy", quantity: D(t.amount).times(size), price: D(t.price), fee: D(t.fee?.cost).abs(), ts: t.timestamp ?? since,
      })).sort((a, b) => a.ts - b.ts);
    }),
    fundingPayments: (asked, symbol, since) => guarded(asked, async () => {
      await markets();
      const history = await exchange.fetchFundingHistory(symbol, since);
      const sign = dialect.fundingSign ?? 1;
      return history.map((h): VenueFundingPayment => ({ ts: h.timestamp ?? since, amount: D(h.amount).times(sign) })).sort((a, b) => a.ts - b.ts);
    }),
    checkAccess: (asked) => guarded(asked, async () => {
      const balance = await exchange.fetchBalance();
      const usdt = (balance as unknown as Record<string, { total?: number } | undefined>)["USDT"];
      return { equityUsd: D(usdt?.total), canWithdraw: await dialect.canWithdraw(exchange) };
    }),
    marketSpec: (asked, symbol, configured) => guarded(asked, async () => {
      await markets();
      const spec = listedSpec(symbol);
      return {
        lotSize: spec.lotSize, minQty: spec.minQty, minNotional: spec.minNotional ?? configured.minNotional, tickSize: spec.tickSize,
        maintenanceMarginRate: configured.maintenanceMarginRate,
      };
    }),
    tickSize(asked, symbol) {
      if (asked !== venue) return undefined;
      const cached = listed.get(symbol);
      if (cached !== undefined) return cached.tickSize;
      if (exchange.markets?.[symbol] === undefined) return undefined;
      try {
        return listedSpec(symbol).tickSize;
      } catch {
        return undefined;
      }
    },
  };
}
