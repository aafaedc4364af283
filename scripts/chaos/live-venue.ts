import Decimal from "decimal.js";
import type { Logger } from "pino";
import type { AppSettings } from "../../src/app/context";
import { entryClientOrderId } from "../../src/core/trading/orders";
import type { Broker } from "../../src/exchange/broker";
import { createLiveBroker, DIALECTS } from "../../src/exchange/live/live-broker";
import type { LiveVenue } from "../../src/exchange/live/venue-dialect";
import type { OrderFault, PlaceOutcome, PlaceRequest } from "../../test/stand-ins/exchange-account";
import { ExchangeServer } from "../../test/stand-ins/exchange-server";
import type { ProposalMarket } from "./approval-steps";
import type { EntryRows, VenueCheck, VenueFindings } from "./checks";
import { fencedBroker } from "./fenced-broker";
import type { Proc } from "./simulated-process";
import { VenueGate } from "./venue-gate";

export const LIVE_VENUES: readonly LiveVenue[] = ["bybit", "binanceusdm", "okx", "bitget"];

/**
 * The stand-in faults an approval draws (one each, on top of its crash point and Redis fault).
 * They are queued on the venue's account (or its order path) just before the approval, and meet
 * whichever placement comes next; with several approvals in flight that may be another one's.
 */
export const VENUE_FAULTS = ["accept-then-timeout", "5xx-after-accept", "reject", "partial-fill", "invisible", "stop-not-placed", "rate-limit", "ban"] as const;
export type VenueFault = (typeof VENUE_FAULTS)[number];

/** The POST path of a venue's market orders (429 and ban answers are injected there). */
const ORDER_PATH: Readonly<Record<LiveVenue, RegExp>> = {
  bybit: /^\/v5\/order\/create$/,
  binanceusdm: /^\/fapi\/v1\/order$/,
  okx: /^\/api\/v5\/trade\/(order|batch-orders)$/,
  bitget: /^\/api\/v2\/mix\/order\/place-order$/,
};

const PRICE = 0.5;
/** Whole MNT: a legal size on every venue (OKX: 100 contracts of 10). */
const QUANTITY = 1000;
const CREDENTIALS = { apiKey: "stand-in-key", secret: "stand-in-secret", passphrase: "stand-in-pass" } as const;

export interface LiveTimings {
  /** ccxt request timeout: how long an "accept-then-timeout" placement holds the order job. */
  readonly timeoutMs: number;
  /** LIVE_UNKNOWN_ORDER_GIVE_UP_MINUTES, in ms. */
  readonly giveUpMs: number;
  /** The longest an "invisible" order stays hidden from look-ups (drawn from 200 ms up to this). */
  readonly invisibleMaxMs: number;
}

/**
 * One venue's exchange stand-in for a chaos run: the server, one market per approval slot, an
 * account rich enough never to run out of margin, the faults, and what reached the order engine.
 * Every simulated process reaches the server through a gate of its own (venue-gate.ts).
 */
export class LiveVenueRun {
  readonly server = new ExchangeServer();
  readonly injected = new Map<string, number>(VENUE_FAULTS.map((f) => [f, 0]));
  /** Faults as the venue's order engine met them (rate limits and bans never reach it). */
  readonly met = new Map<string, number>();
  /** Placements that reached the order engine, by the venue's client id (a refused duplicate counts: it was sent). */
  readonly sends = new Map<string, number>();
  /** Venue positions the runner closed behind the bot (the reconciler books them). */
  closedBehind = 0;
  /** Requests a dead process tried to send after it died, cut at its gate. */
  refusedFromDead = 0;
  private readonly gates: VenueGate[] = [];

  constructor(readonly venue: LiveVenue, private readonly symbols: readonly string[], private readonly logger: Logger, readonly timings: LiveTimings) {}

  get account() {
    return this.server.accounts[this.venue];
  }

  async start(): Promise<void> {
    await this.server.start();
    for (const symbol of this.symbols) {
      this.server.addMarket(this.venue, symbol, this.venue === "okx" ? { contractSize: 10 } : {});
      this.server.setTicker(this.venue, symbol, { last: PRICE, bid: PRICE * 0.9999, ask: PRICE * 1.0001, baseVolume24h: 1e7, quoteVolume24h: 5e6 });
    }
    const account = this.account;
    account.walletBalance = 1e12;
    const place = account.placeOrder.bind(account);
    account.placeOrder = (request: PlaceRequest): PlaceOutcome => {
      const outcome = place(request);
      this.noteEngine(request, outcome);
      return outcome;
    };
  }

  private count(map: Map<string, number>, key: string): void {
    map.set(key, (map.get(key) ?? 0) + 1);
  }

  private noteEngine(request: PlaceRequest, outcome: PlaceOutcome): void {
    if (request.type === "market" && !request.reduceOnly) this.count(this.sends, request.clientOrderId);
    if (!outcome.ok) {
      if (outcome.error === "insufficient-margin") this.count(this.met, "reject");
      return;
    }
    if (outcome.transport === "hang") this.count(this.met, "accept-then-timeout");
    if (outcome.transport === "5xx") this.count(this.met, "5xx-after-accept");
    if (outcome.order.visibleAt > outcome.order.createdAt) this.count(this.met, "invisible");
    if (request.type === "market" && outcome.order.filled < outcome.order.amount - 1e-9) this.count(this.met, outcome.order.status === "open" ? "partial-fill (rest working)" : "partial-fill");
    if (request.type !== "market" && !this.account.orders.includes(outcome.order)) this.count(this.met, "stop-not-placed");
  }

  settings(base: AppSettings): AppSettings {
    return { ...base, venues: [this.venue], tradingVenue: this.venue, live: { ...base.live, unknownOrderGiveUpMs: this.timings.giveUpMs } };
  }

  readonly market: ProposalMarket = {
    venue: "", price: PRICE, side: "long", quantity: new Decimal(QUANTITY),
    notionalUsd: new Decimal(QUANTITY * PRICE), marginUsd: new Decimal((QUANTITY * PRICE) / 5), expectedFeesUsd: new Decimal(QUANTITY * PRICE * 0.0011),
  };

  marketFor(): ProposalMarket {
    return { ...this.market, venue: this.venue };
  }

  /** A new process's broker: the real live broker, through the process's own gate, fenced like its database. */
  async brokerFor(proc: Proc, fence: boolean): Promise<{ broker: Broker; close: () => Promise<void> }> {
    const gate = new VenueGate(this.server.url, () => !fence || !proc.dead);
    await gate.start();
    this.gates.push(gate);
    const broker = createLiveBroker({
      venue: this.venue, credentials: CREDENTIALS, logger: this.logger, leverage: 5, marginMode: "isolated", timeoutMs: this.timings.timeoutMs, hostOverride: gate.url,
    });
    return {
      broker: fence ? fencedBroker(broker, () => proc.dead) : broker,
      close: async () => {
        await gate.close();
        this.refusedFromDead += gate.refused;
        this.gates.splice(this.gates.indexOf(gate), 1);
      },
    };
  }

  /** Queues one fault for the venue's next placement (or the next POST to its order path). */
  inject(kind: VenueFault, random: () => number): void {
    this.count(this.injected, kind);
    if (kind === "rate-limit") {
      this.server.rateLimitNext(this.venue, ORDER_PATH[this.venue], 1, 1, "POST");
      return;
    }
    if (kind === "ban") {
      this.server.banNext(this.venue, ORDER_PATH[this.venue], { retryAfterSeconds: 1 }, 1, "POST");
      return;
    }
    // Half the partial fills leave the rest working (a venue slow to cancel it): perpbot must cancel it itself.
    const fault: OrderFault = kind === "partial-fill" ? { kind, fraction: [0.25, 0.5, 0.75][Math.floor(random() * 3)]!, rest: random() < 0.5 ? "working" : "cancelled" }
      : kind === "invisible" ? { kind, ms: 200 + Math.floor(random() * (this.timings.invisibleMaxMs - 200)) }
      : { kind };
    this.account.injectFault(fault);
  }

  /** Closes the symbol's position on the venue, as a person in the exchange's app would; false when there is none. */
  closeBehind(symbol: string): boolean {
    if (!this.account.positions.has(symbol)) return false;
    this.account.closeBehindTheBot(symbol, PRICE);
    this.closedBehind += 1;
    return true;
  }

  /** The journal against the venue's own orders and positions. */
  check(): VenueCheck {
    const dialect = DIALECTS[this.venue];
    const account = this.account;
    const sends = this.sends;
    const owned = new Set<string>();
    const entryOrders = account.orders.filter((o) => o.type === "market" && !o.reduceOnly);
    return {
      mode: "live",
      inspect: (p, entries: EntryRows): VenueFindings => {
        const ours = dialect.clientOrderId(entryClientOrderId(p.id));
        owned.add(ours);
        const onVenue = entryOrders.filter((o) => o.clientOrderId === ours);
        const sent = sends.get(ours) ?? 0;
        const venueFilled = new Decimal(onVenue.reduce((s, o) => s + o.filled, 0));
        const findings: VenueFindings = { duplicate: null, unbooked: null, mismatch: null };
        let dup = entries.length > 1 || onVenue.length > 1 || sent > 1;
        for (const order of entries) {
          const filled = order.fills.reduce((s, f) => s.plus(f.quantity), new Decimal(0));
          if (!filled.eq(order.filledQty) || filled.minus(venueFilled).gt(1e-9)) dup = true;
        }
        if (dup) {
          findings.duplicate = `duplicate order: ${p.id} (${entries.length} entry rows, ${onVenue.length} venue orders, ${sent} placements reached the venue's order engine, ` +
            `journal filled ${entries.map((e) => e.filledQty.toString()).join("/")}, venue filled ${venueFilled.toString()})`;
        }
        const booked = ["open", "closing", "closed"].includes(p.status);
        if (!booked && venueFilled.gt(0)) findings.unbooked = `venue order not booked: ${p.id} is ${p.status} while ${this.venue} filled ${venueFilled.toString()} of ${ours}`;
        if (booked) {
          const journal = new Decimal(entries[0]?.filledQty ?? 0);
          if (journal.minus(venueFilled).abs().gt(1e-9)) findings.mismatch = `journal and venue disagree: ${p.id} (${p.status}) booked ${journal.toString()}, ${this.venue} filled ${venueFilled.toString()} of ${ours}`;
          // The runner closed every position it saw open on the venue: one the journal still holds was never booked closed.
          else if (p.status !== "closed" && !account.positions.has(p.symbol)) findings.mismatch = `journal and venue disagree: ${p.id} is ${p.status} in the journal, ${this.venue} holds no ${p.symbol} position`;
        }
        return findings;
      },
      stray: () => ({
        unbooked: entryOrders.filter((o) => !owned.has(o.clientOrderId)).map((o) => `venue order no trade owns: ${o.clientOrderId} ${o.side} ${o.filled} ${o.symbol} (${o.status})`),
        // The runner closes every position it saw open; one still there was never booked as closed.
        mismatches: [
          ...[...account.positions.values()].map((pos) => `venue position left open: ${pos.symbol} ${pos.side} ${pos.qty}`),
          // An entry's rest left working would open more than the journal holds once it fills.
          ...entryOrders.filter((o) => o.status === "open").map((o) => `entry still working on the venue: ${o.clientOrderId} filled ${o.filled} of ${o.amount}`),
        ],
      }),
    };
  }

  async stop(): Promise<void> {
    for (const gate of [...this.gates]) await gate.close().catch(() => undefined);
    await this.server.stop();
  }
}
