import type { Exchange } from "ccxt";
import { afterAll, beforeAll, beforeEach, expect } from "vitest";
import { createLiveExchange } from "../../src/exchange/live/ccxt-client";
import { okxDialect as dialect } from "../../src/exchange/live/okx";
import type { StandInAccount, StandInOrder } from "../stand-ins/exchange-account";
import { ExchangeServer } from "../stand-ins/exchange-server";

/**
 * What the live OKX tests (live-okx.test.ts, live-okx-faults.test.ts) share: the real ccxt okx
 * client through the OKX dialect, against a stand-in of their own that speaks OKX v5's private
 * wire, reset before every test. Sizes on the wire are contracts of 0.01 BTC (BTC-USDT-SWAP's
 * ctVal); the stand-in account keeps BTC. The server clock stands still unless a test moves it,
 * starting at the real time: OKX refuses a request stamped more than 30 s away from its clock,
 * and ccxt stamps with the real one.
 */

export const BTC = "BTC/USDT:USDT";
export const CONTRACT = 0.01;
export const CREDS = { apiKey: "stand-in-key", secret: "stand-in-secret", passphrase: "stand-in-pass" };
export const ENTRY = dialect.clientOrderId("p0123456789ab-e");
export const STOP = dialect.clientOrderId("p0123456789ab-s");
export const TAKE = dialect.clientOrderId("p0123456789ab-t");

export async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

/** Leverage 5, isolated, then a 5-contract (0.05 BTC) market buy with our entry id. */
export async function enterLong(exchange: Exchange): Promise<void> {
  await dialect.prepareSymbol(exchange, BTC, 5, "isolated");
  await exchange.createOrder(BTC, "market", "buy", 5, undefined, dialect.marketOrderParams(ENTRY, false));
}

export async function placeProtection(exchange: Exchange, kind: "stop-loss" | "take-profit", id: string, trigger: number): Promise<void> {
  const { type, params } = dialect.protectiveOrder(kind, id, trigger);
  await exchange.createOrder(BTC, type, "sell", 5, undefined, params);
}

/** ccxt's balance structure keyed by currency code ({ free, used, total }). */
export async function usdtBalance(exchange: Exchange): Promise<{ free?: number; total?: number }> {
  const balance = (await exchange.fetchBalance()) as unknown as Record<string, { free?: number; total?: number } | undefined>;
  return balance["USDT"] ?? {};
}

export interface OkxStandIn {
  readonly server: ExchangeServer;
  /** A client with the test credentials, `overrides` replacing some of them. */
  readonly client: (overrides?: Partial<typeof CREDS>) => Exchange;
  /** The stand-in's OKX account of the running test (`reset` makes a new one). */
  readonly account: () => StandInAccount;
  /** The JSON body of the last request to `path`. */
  readonly bodyOf: (path: RegExp) => unknown;
  /** The stand-in's orders under client id `id`. */
  readonly ours: (id: string) => StandInOrder[];
  readonly advanceServerClock: (ms: number) => void;
}

/**
 * Starts the stand-in for the calling test file and resets it before each test, with BTC-USDT-SWAP
 * listed and quoted. Call once, at the top level of the test file.
 */
export function useOkxStandIn(): OkxStandIn {
  let clock = Date.now();
  const server = new ExchangeServer({ now: () => clock });

  beforeAll(() => server.start());
  afterAll(() => server.stop());
  beforeEach(() => {
    server.reset();
    clock = Date.now();
    server.addMarket("okx", BTC, { contractSize: CONTRACT });
    server.setTicker("okx", BTC, { last: 50_000, bid: 49_990, ask: 50_010, baseVolume24h: 1_000, quoteVolume24h: 50_000_000 });
  });

  const account = () => server.accounts.okx;
  return {
    server,
    client(overrides = {}) {
      const exchange = createLiveExchange("okx", { ...CREDS, ...overrides }, { hostOverride: server.url, timeoutMs: 1_500 });
      exchange.enableRateLimit = false; // ccxt's own throttle only slows a local run down
      return exchange;
    },
    account,
    bodyOf: (path): unknown => JSON.parse(server.requestsTo("okx", path).at(-1)?.body ?? "null"),
    ours: (id) => account().orders.filter((o) => o.clientOrderId === id),
    advanceServerClock: (ms) => {
      clock += ms;
    },
  };
}
