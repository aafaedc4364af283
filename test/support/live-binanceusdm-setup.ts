import { binanceusdm, type Exchange, type Order } from "ccxt";
import { afterAll, beforeAll, beforeEach, expect } from "vitest";
import { binanceusdmDialect as dialect } from "../../src/exchange/live/binanceusdm";
import { createLiveExchange, type LiveCredentials } from "../../src/exchange/live/ccxt-client";
import type { StandInAccount, StandInOrder } from "../stand-ins/exchange-account";
import { ExchangeServer } from "../stand-ins/exchange-server";

/**
 * What the live Binance USD-M tests (live-binanceusdm.test.ts, live-binanceusdm-faults.test.ts)
 * share: the real ccxt binanceusdm client through the Binance dialect, against a stand-in of their
 * own that speaks Binance USD-M's private wire, reset before every test.
 */

export const BTC = "BTC/USDT:USDT";
export const KEYS: LiveCredentials = { apiKey: "stand-in-key", secret: "stand-in-secret" };
export const ENTRY = "p0123456789ab-e";
export const STOP = "p0123456789ab-s";
export const TAKE = "p0123456789ab-t";

export async function refusal(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

/** The venue's JSON error body inside a ccxt error message ("binanceusdm {"code":…}"). */
export const venueBody = (error: Error): string => error.message.slice(error.message.indexOf("{"));

export const buy = (ex: Exchange, amount = 0.01, id = ENTRY): Promise<Order> =>
  ex.createOrder(BTC, "market", "buy", amount, undefined, dialect.marketOrderParams(dialect.clientOrderId(id), false));

export async function protect(ex: Exchange, kind: "stop-loss" | "take-profit", id: string, trigger: number): Promise<Order> {
  const { type, params } = dialect.protectiveOrder(kind, dialect.clientOrderId(id), trigger);
  return ex.createOrder(BTC, type, "sell", 0.01, undefined, params);
}

export interface BinanceusdmStandIn {
  readonly server: ExchangeServer;
  readonly client: (credentials?: LiveCredentials) => binanceusdm;
  readonly account: () => StandInAccount;
  /** The stand-in's orders under our client id `id` (Binance's algo service may suffix it with #n). */
  readonly ordersWithId: (id: string) => StandInOrder[];
  /** Runs the venue's clock ahead of ours by `ms` (ccxt signs with the real time) until the next test. */
  readonly setServerClockAhead: (ms: number) => void;
}

/**
 * Starts the stand-in for the calling test file and resets it before each test, with BTCUSDT
 * listed, quoted and a one-level book. Call once, at the top level of the test file.
 */
export function useBinanceusdmStandIn(): BinanceusdmStandIn {
  let offset = 0; // the venue's clock runs ahead of ours by this much (ccxt signs with the real time)
  const server = new ExchangeServer({ now: () => Date.now() + offset });
  const account = () => server.accounts.binanceusdm;

  beforeAll(() => server.start());
  afterAll(() => server.stop());
  beforeEach(() => {
    server.reset();
    offset = 0;
    server.addMarket("binanceusdm", BTC);
    server.setTicker("binanceusdm", BTC, { last: 50_000, baseVolume24h: 1_000, quoteVolume24h: 50_000_000 });
    server.setBook("binanceusdm", BTC, { bids: [[50_000, 5]], asks: [[50_000.1, 5]] });
  });

  return {
    server,
    client(credentials = KEYS) {
      const exchange: Exchange = createLiveExchange("binanceusdm", credentials, { hostOverride: server.url, timeoutMs: 1_500 });
      if (!(exchange instanceof binanceusdm)) throw new Error("expected ccxt's binanceusdm");
      return exchange;
    },
    account,
    ordersWithId: (id) => account().orders.filter((o) => o.clientOrderId.replace(/#\d+$/, "") === id),
    setServerClockAhead: (ms) => {
      offset = ms;
    },
  };
}
