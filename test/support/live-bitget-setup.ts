import type { Exchange, Market } from "ccxt";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { bitgetDialect as dialect } from "../../src/exchange/live/bitget";
import { createLiveExchange } from "../../src/exchange/live/ccxt-client";
import type { StandInAccount, StandInOrder } from "../stand-ins/exchange-account";
import { ExchangeServer } from "../stand-ins/exchange-server";

/**
 * What the live Bitget tests (live-bitget.test.ts, live-bitget-faults.test.ts) share: the real ccxt
 * bitget client through the Bitget dialect, against a stand-in of their own that speaks Bitget v2's
 * mix wire (USDT-FUTURES, one-way position mode, sizes in BTC), reset before every test.
 */

export const BTC = "BTC/USDT:USDT";
export const DOGE = "DOGE/USDT:USDT";
export const KEY = { apiKey: "stand-in-key", secret: "stand-in-secret", passphrase: "stand-in-pass" };
export const ENTRY = "p0123456789ab-e";
export const STOP = "p0123456789ab-s";
export const TAKE = "p0123456789ab-t";
export const TAKER = 0.00055;
export const SIZE = 0.05;
export const ASK = 60_000.1;

export const rejection = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => new Error("resolved"), (e: unknown) => e);

export interface BitgetStandIn {
  readonly server: ExchangeServer;
  /** A client for this test (closed after it), with the listing already parsed when there is one. */
  readonly client: (credentials?: typeof KEY) => Exchange;
  readonly account: () => StandInAccount;
  /** The JSON bodies of the requests to `path`, in order. */
  readonly bodies: (path: RegExp) => Record<string, unknown>[];
  /** The stand-in's orders under our client id `id`. */
  readonly placed: (id: string) => StandInOrder[];
  readonly enter: (exchange: Exchange, amount?: number, id?: string) => Promise<void>;
  readonly protect: (exchange: Exchange, kind: "stop-loss" | "take-profit", id: string, price: number, amount?: number) => Promise<void>;
  /** Runs the server's clock ahead of the client's by `ms` until the next test. */
  readonly setServerClockAhead: (ms: number) => void;
}

/**
 * Starts the stand-in for the calling test file and resets it before each test: BTC and DOGE
 * quoted, BTC prepared at 10x isolated (every test trades isolated, as perpbot does), the request
 * log emptied. Call once, at the top level of the test file.
 */
export function useBitgetStandIn(): BitgetStandIn {
  let skew = 0; // the server's clock runs ahead of the client's by this much (ms)
  const server = new ExchangeServer({ now: () => Date.now() + skew });
  const clients: Exchange[] = [];
  /** The listing as ccxt parsed it once: later clients skip the eight requests of loadMarkets. */
  let markets: Market[] | undefined;

  function client(credentials: typeof KEY = KEY): Exchange {
    const exchange = createLiveExchange("bitget", credentials, { hostOverride: server.url, timeoutMs: 1500 });
    if (markets !== undefined) exchange.setMarkets(markets);
    clients.push(exchange);
    return exchange;
  }
  const account = () => server.accounts.bitget;

  beforeAll(() => server.start());
  afterAll(() => server.stop());
  beforeEach(async () => {
    server.reset();
    skew = 0;
    server.setTicker("bitget", BTC, { last: 60_000, bid: 59_999.9, ask: ASK, baseVolume24h: 5000, quoteVolume24h: 300_000_000 });
    server.setTicker("bitget", DOGE, { last: 0.1, baseVolume24h: 5000, quoteVolume24h: 500 });
    const first = client();
    markets ??= Object.values(await first.loadMarkets()).filter((m): m is Market => m !== undefined);
    await dialect.prepareSymbol(first, BTC, 10, "isolated"); // every test trades isolated, as perpbot does
    server.requests.length = 0;
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  return {
    server,
    client,
    account,
    bodies: (path) => server.requestsTo("bitget", path).map((r) => JSON.parse(r.body) as Record<string, unknown>),
    placed: (id) => account().orders.filter((o) => o.clientOrderId === id),
    async enter(exchange, amount = SIZE, id = ENTRY) {
      await exchange.createOrder(BTC, "market", "buy", amount, undefined, dialect.marketOrderParams(dialect.clientOrderId(id), false));
    },
    async protect(exchange, kind, id, price, amount = SIZE) {
      const { type, params } = dialect.protectiveOrder(kind, dialect.clientOrderId(id), price);
      await exchange.createOrder(BTC, type, "sell", amount, undefined, params);
    },
    setServerClockAhead: (ms) => {
      skew = ms;
    },
  };
}
