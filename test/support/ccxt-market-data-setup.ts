import pino, { type Logger } from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, expect } from "vitest";
import { createCcxtMarketData, perpMarketFor, type CcxtVenue } from "../../src/exchange/ccxt-market-data";
import { ExchangeError } from "../../src/exchange/errors";
import type { MarketDataSource } from "../../src/exchange/market-data";
import { venueDescriptor } from "../../src/exchange/venues/registry";
import { ExchangeServer } from "../stand-ins/exchange-server";

/**
 * What the market-data adapter tests (ccxt-market-data.test.ts, ccxt-market-data-errors.test.ts)
 * share: the real ccxt clients, through createCcxtMarketData, against a stand-in of their own with
 * BTC listed on every venue, reset before every test; and each venue's public endpoints.
 */

export const BTC = "BTC/USDT:USDT";
export const FUNDING_CSV = "../shared/data/binance_spot_perp_1h/binance_usdm_BTCUSDT_funding.csv";
export const JAN_2024 = Date.UTC(2024, 0, 1);
export const OCT_2024 = Date.UTC(2024, 9, 1);
export const APR_2025 = Date.UTC(2025, 3, 1);
export const PATHS: Record<CcxtVenue, { funding: RegExp; history: RegExp; book: RegExp; ticker: RegExp; listing: RegExp }> = {
  bybit: { funding: /\/v5\/market\/tickers$/, history: /\/v5\/market\/funding\/history$/, book: /\/v5\/market\/orderbook$/, ticker: /\/v5\/market\/tickers$/, listing: /\/v5\/market\/instruments-info$/ },
  binanceusdm: { funding: /\/fapi\/v1\/premiumIndex$/, history: /\/fapi\/v1\/fundingRate$/, book: /\/fapi\/v1\/depth$/, ticker: /\/fapi\/v1\/ticker\/24hr$/, listing: /\/fapi\/v1\/exchangeInfo$/ },
  okx: { funding: /\/api\/v5\/public\/funding-rate$/, history: /\/api\/v5\/public\/funding-rate-history$/, book: /\/api\/v5\/market\/books$/, ticker: /\/api\/v5\/market\/ticker$/, listing: /\/api\/v5\/public\/instruments$/ },
  bitget: { funding: /\/api\/v2\/mix\/market\/current-fund-rate$/, history: /\/api\/v2\/mix\/market\/history-fund-rate$/, book: /\/api\/v2\/mix\/market\/merge-depth$/, ticker: /\/api\/v2\/mix\/market\/ticker$/, listing: /\/api\/v2\/mix\/market\/contracts$/ },
};
export const VENUES = ["bybit", "binanceusdm", "okx", "bitget"] as const;
export const OKX_CONTRACT = 0.01; // BTC-USDT-SWAP's ctVal

const logger = pino({ level: "silent" });

/** The adapter's error, checked to be an ExchangeError that shows a person nothing of the request. */
export async function failure(promise: Promise<unknown>): Promise<ExchangeError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(ExchangeError);
  const mapped = error as ExchangeError;
  // Nothing of the request URL's query, host or a signature may reach a person.
  expect(mapped.message).not.toMatch(/\?\w+=|signature|https?:\/\/|apiKey/i);
  return mapped;
}

export interface AdapterOptions { inject?: boolean; timeoutMs?: number; now?: () => number; logger?: Logger }

export interface MarketDataStandIn {
  readonly server: ExchangeServer;
  /**
   * An adapter for `venue` pointed at the stand-in (closed after the test). Its markets are
   * injected (no listing request) unless `inject` is false.
   */
  readonly adapter: (venue: CcxtVenue, options?: AdapterOptions) => MarketDataSource;
}

/** Starts the stand-in for the calling test file and resets it before each test. Call once, at the top level. */
export function useMarketDataStandIn(): MarketDataStandIn {
  const server = new ExchangeServer();
  const open: MarketDataSource[] = [];

  // The venues' ccxt classes load on first use; load them up front so no test's timing includes it.
  beforeAll(() => Promise.all([server.start(), ...VENUES.map((venue) => venueDescriptor(venue).loadClass())]));
  afterAll(() => server.stop());
  beforeEach(() => {
    server.reset();
    for (const venue of VENUES) server.addMarket(venue, BTC, venue === "okx" ? { contractSize: OKX_CONTRACT } : {});
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  return {
    server,
    adapter(venue, options = {}) {
      const contract = venue === "okx" ? { contractSize: OKX_CONTRACT } : {};
      const source = createCcxtMarketData({
        venue, logger: options.logger ?? logger, hostOverride: server.url, timeoutMs: options.timeoutMs ?? 2_000,
        ...(options.now === undefined ? {} : { now: options.now }),
        ...(options.inject === false ? {} : { markets: [perpMarketFor(venue, BTC, contract)] }),
      });
      open.push(source);
      return source;
    },
  };
}
