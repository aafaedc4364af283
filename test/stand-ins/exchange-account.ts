/**
 * The private side of the exchange stand-in: one trading account per venue, venue-neutral. The
 * per-venue wire modules (private-bybit.ts, private-binanceusdm.ts, private-okx.ts,
 * private-bitget.ts) check signatures, parse each venue's request format into these calls and
 * render the answers in that venue's response format. Sizes here are base units (OKX's module
 * converts contracts), prices and money plain numbers in the quote currency (USDT).
 *
 * As strict as a real venue: a client order id it already holds is refused as a duplicate, a
 * reduce-only order that would open or grow a position is refused, margin is checked, and an
 * order it accepted is never lost. Faults are injected per placement (see OrderFault).
 *
 * This file is the order book of record and fault injection; what a fill does to positions, the
 * wallet and margin is computed in exchange-account-positions.ts.
 */

import {
  DEFAULT_LEVERAGE, fillOrder, fundingAmount, openingCost, totalUnrealizedPnl, totalUsedMargin,
  type FundingPayment, type StandInPosition, type StandInTrade,
} from "./exchange-account-positions";

// Positions, trades and funding are declared beside their arithmetic; the wire modules import them from here.
export type { FundingPayment, StandInPosition, StandInTrade };

export type OrderType = "market" | "stop-market" | "take-profit-market";
export type OrderStatus = "open" | "filled" | "cancelled" | "rejected";

export interface StandInOrder {
  /** The venue's own id (numeric string, as most venues use). */
  readonly id: string;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: "buy" | "sell";
  readonly type: OrderType;
  /** Base units. */
  readonly amount: number;
  filled: number;
  avgPrice: number | null;
  fee: number;
  status: OrderStatus;
  readonly reduceOnly: boolean;
  /** Conditional orders only: the price that triggers them (on the last price). */
  readonly triggerPrice: number | null;
  readonly createdAt: number;
  updatedAt: number;
  /** Lookups do not show the order before this time (eventual consistency); dedupe does. */
  readonly visibleAt: number;
  cancelReason: string | null;
}

export interface Credentials {
  readonly apiKey: string;
  readonly secret: string;
  /** OKX and Bitget keys have a passphrase. */
  readonly passphrase?: string;
  readonly canTrade: boolean;
  readonly canWithdraw: boolean;
}

/**
 * Faults for the next placement(s). `on` picks which placements: the market entry/exit orders or
 * the conditional (stop / take-profit) ones.
 *  - accept-then-timeout: the order is booked and filled, the HTTP answer never comes (the client times out);
 *  - 5xx-after-accept:    the order is booked and filled, the answer is a 502 with the gateway's HTML;
 *  - reject:              refused with the venue's "insufficient margin" error, nothing booked;
 *  - partial-fill:        a market order fills `fraction` of its amount, the rest is cancelled
 *                         (or, with `rest: "working"`, left working: a venue slow to cancel it);
 *  - invisible:           booked and filled, but lookups do not show it for `ms`;
 *  - stop-not-placed:     a conditional order is answered with success and silently not kept.
 */
export type OrderFault =
  | { readonly kind: "accept-then-timeout" }
  | { readonly kind: "5xx-after-accept" }
  | { readonly kind: "reject" }
  | { readonly kind: "partial-fill"; readonly fraction: number; readonly rest?: "cancelled" | "working" }
  | { readonly kind: "invisible"; readonly ms: number }
  | { readonly kind: "stop-not-placed" };

export interface PlaceRequest {
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: "buy" | "sell";
  readonly type: OrderType;
  readonly amount: number;
  readonly reduceOnly: boolean;
  readonly triggerPrice: number | null;
}

/** Why a placement was refused; each wire module maps these to the venue's own error code and text. */
export type PlaceError = "duplicate-client-id" | "insufficient-margin" | "reduce-only-rejected" | "unknown-symbol" | "invalid-amount" | "invalid-trigger-price";

/** How the wire module must deliver the answer: normally, never (hang until the client gives up), or as a 502. */
export type Transport = "normal" | "hang" | "5xx";

export type PlaceOutcome =
  | { readonly ok: true; readonly order: StandInOrder; readonly transport: Transport }
  | { readonly ok: false; readonly error: PlaceError; readonly message: string };

export interface Quote { readonly bid: number; readonly ask: number; readonly last: number }

interface QueuedFault { readonly fault: OrderFault; readonly on: "market" | "conditional"; times: number }

export class StandInAccount {
  readonly orders: StandInOrder[] = [];
  readonly trades: StandInTrade[] = [];
  readonly funding: FundingPayment[] = [];
  readonly positions = new Map<string, StandInPosition>();
  readonly leverage = new Map<string, number>();
  readonly marginMode = new Map<string, "isolated" | "cross">();
  /** Wallet balance in USDT: deposits + realized PnL − fees + funding. */
  walletBalance: number;
  credentials: Credentials;
  private readonly faults: QueuedFault[] = [];
  private nextId = 1_000_000;

  constructor(
    private readonly quoteOf: (symbol: string) => Quote | undefined,
    private readonly now: () => number,
    options: { balance?: number; credentials?: Partial<Credentials> } = {},
  ) {
    this.walletBalance = options.balance ?? 10_000;
    this.credentials = { apiKey: "stand-in-key", secret: "stand-in-secret", passphrase: "stand-in-pass", canTrade: true, canWithdraw: false, ...options.credentials };
  }

  /** The next `times` market (or conditional) placements get `fault`. */
  injectFault(fault: OrderFault, options: { on?: "market" | "conditional"; times?: number } = {}): void {
    this.faults.push({ fault, on: options.on ?? (fault.kind === "stop-not-placed" ? "conditional" : "market"), times: options.times ?? 1 });
  }

  placeOrder(request: PlaceRequest): PlaceOutcome {
    const now = this.now();
    const quote = this.quoteOf(request.symbol);
    if (quote === undefined) return { ok: false, error: "unknown-symbol", message: `symbol ${request.symbol} is not listed` };
    if (!(request.amount > 0) || !Number.isFinite(request.amount)) return { ok: false, error: "invalid-amount", message: `amount ${request.amount} must be positive` };
    if (this.orders.some((o) => o.clientOrderId === request.clientOrderId)) {
      return { ok: false, error: "duplicate-client-id", message: `client order id ${request.clientOrderId} already exists` };
    }
    const conditional = request.type !== "market";
    const queued = this.faults.find((f) => f.times > 0 && f.on === (conditional ? "conditional" : "market"));
    if (queued !== undefined) queued.times -= 1;
    const fault = queued?.fault;
    if (fault?.kind === "reject") return { ok: false, error: "insufficient-margin", message: "insufficient available margin" };

    const position = this.positions.get(request.symbol);
    if (request.reduceOnly && !conditional) {
      const reduces = position !== undefined && (position.side === "long") === (request.side === "sell");
      if (!reduces) return { ok: false, error: "reduce-only-rejected", message: "reduce-only order would open or increase a position" };
    }
    if (conditional) {
      if (request.triggerPrice === null || !(request.triggerPrice > 0)) return { ok: false, error: "invalid-trigger-price", message: "a conditional order needs a trigger price" };
      // A sell stop must sit below the market, a buy stop above (take-profits the other way round).
      const below = (request.type === "stop-market") === (request.side === "sell");
      if (below ? request.triggerPrice >= quote.last : request.triggerPrice <= quote.last) {
        return { ok: false, error: "invalid-trigger-price", message: `trigger price ${request.triggerPrice} would trigger immediately (last ${quote.last})` };
      }
    } else if (!request.reduceOnly) {
      const leverage = this.leverage.get(request.symbol) ?? DEFAULT_LEVERAGE;
      if (openingCost(request.amount, quote.last, leverage) > this.availableBalance()) {
        return { ok: false, error: "insufficient-margin", message: "insufficient available margin" };
      }
    }

    const order: StandInOrder = {
      id: String(this.nextId++), clientOrderId: request.clientOrderId, symbol: request.symbol, side: request.side, type: request.type,
      amount: request.amount, filled: 0, avgPrice: null, fee: 0, status: "open", reduceOnly: request.reduceOnly,
      triggerPrice: request.triggerPrice, createdAt: now, updatedAt: now, visibleAt: fault?.kind === "invisible" ? now + fault.ms : now, cancelReason: null,
    };
    if (fault?.kind === "stop-not-placed" && conditional) return { ok: true, order, transport: "normal" };
    this.orders.push(order);
    if (!conditional) {
      const fraction = fault?.kind === "partial-fill" ? fault.fraction : 1;
      this.fill(order, order.amount * fraction, order.side === "buy" ? quote.ask : quote.bid);
      const keepWorking = fault?.kind === "partial-fill" && fault.rest === "working";
      if (order.status === "open" && !keepWorking) this.cancel(order, "the rest of an immediate-or-cancel market order was cancelled");
    }
    const transport: Transport = fault?.kind === "accept-then-timeout" ? "hang" : fault?.kind === "5xx-after-accept" ? "5xx" : "normal";
    return { ok: true, order, transport };
  }

  /** Lookups: only orders already visible (see `invisible`). */
  visibleOrders(): StandInOrder[] {
    const now = this.now();
    return this.orders.filter((o) => o.visibleAt <= now);
  }

  findByClientId(clientOrderId: string): StandInOrder | undefined {
    return this.visibleOrders().find((o) => o.clientOrderId === clientOrderId);
  }

  findById(id: string): StandInOrder | undefined {
    return this.visibleOrders().find((o) => o.id === id);
  }

  openOrders(symbol?: string): StandInOrder[] {
    return this.visibleOrders().filter((o) => o.status === "open" && (symbol === undefined || o.symbol === symbol));
  }

  visibleTrades(): StandInTrade[] {
    const visible = new Set(this.visibleOrders().map((o) => o.id));
    return this.trades.filter((t) => visible.has(t.orderId));
  }

  /** Cancels an open order; false when it is not open (already filled or cancelled). */
  cancelOrder(order: StandInOrder, reason = "cancelled by the user"): boolean {
    if (order.status !== "open") return false;
    this.cancel(order, reason);
    return true;
  }

  setLeverage(symbol: string, leverage: number): void {
    this.leverage.set(symbol, leverage);
  }

  setMarginMode(symbol: string, mode: "isolated" | "cross"): void {
    this.marginMode.set(symbol, mode);
  }

  unrealizedPnl(): number {
    return totalUnrealizedPnl(this.positions.values(), this.quoteOf);
  }

  usedMargin(): number {
    return totalUsedMargin(this.positions.values(), this.leverage);
  }

  equity(): number {
    return this.walletBalance + this.unrealizedPnl();
  }

  availableBalance(): number {
    return Math.max(0, this.equity() - this.usedMargin());
  }

  /**
   * The market moves: conditional orders whose trigger is crossed fire as market orders (a stop
   * on a position that is gone is cancelled, as reduce-only orders are).
   */
  onPrice(symbol: string): void {
    const quote = this.quoteOf(symbol);
    if (quote === undefined) return;
    for (const order of this.orders) {
      if (order.symbol !== symbol || order.status !== "open" || order.triggerPrice === null) continue;
      const fallsThrough = (order.type === "stop-market") === (order.side === "sell");
      const hit = fallsThrough ? quote.last <= order.triggerPrice : quote.last >= order.triggerPrice;
      if (!hit) continue;
      const position = this.positions.get(symbol);
      if (position === undefined) {
        this.cancel(order, "reduce-only order cancelled: no position");
        continue;
      }
      this.fill(order, Math.min(order.amount, position.qty), order.side === "buy" ? quote.ask : quote.bid);
      if (order.status === "open") this.cancel(order, "the rest of a triggered reduce-only order was cancelled");
    }
  }

  /**
   * Someone closes the position outside the bot (the exchange UI, a liquidation): a market order
   * with a venue-made client id fills at `price`, and the position's reduce-only orders are cancelled.
   */
  closeBehindTheBot(symbol: string, price: number, how: "manual" | "liquidation" = "manual"): StandInOrder {
    const position = this.positions.get(symbol);
    if (position === undefined) throw new Error(`stand-in: no ${symbol} position to close`);
    const now = this.now();
    const order: StandInOrder = {
      id: String(this.nextId++), clientOrderId: `${how}-${this.nextId}`, symbol, side: position.side === "long" ? "sell" : "buy", type: "market",
      amount: position.qty, filled: 0, avgPrice: null, fee: 0, status: "open", reduceOnly: true, triggerPrice: null,
      createdAt: now, updatedAt: now, visibleAt: now, cancelReason: null,
    };
    this.orders.push(order);
    this.fill(order, position.qty, price);
    return order;
  }

  /** A funding settlement on every open position of `symbol`: longs pay a positive rate. */
  settleFunding(symbol: string, rate: number, markPrice: number, ts = this.now()): void {
    const position = this.positions.get(symbol);
    if (position === undefined) return;
    const amount = fundingAmount(position, rate, markPrice);
    this.walletBalance += amount;
    this.funding.push({ id: String(this.nextId++), symbol, amount, rate, ts });
  }

  private cancel(order: StandInOrder, reason: string): void {
    order.status = "cancelled";
    order.cancelReason = reason;
    order.updatedAt = this.now();
  }

  private fill(order: StandInOrder, qty: number, price: number): void {
    if (!(qty > 0)) return;
    const trade = fillOrder(this.positions, order, qty, price, this.now(), () => String(this.nextId++));
    this.walletBalance += trade.realizedPnl - trade.fee;
    this.trades.push(trade);
    // A position that is gone takes its reduce-only orders with it.
    if (!this.positions.has(order.symbol)) {
      for (const other of this.orders) {
        if (other !== order && other.symbol === order.symbol && other.status === "open" && other.reduceOnly) this.cancel(other, "reduce-only order cancelled: position closed");
      }
    }
  }
}
