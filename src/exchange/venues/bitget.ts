import type { bitget as BitgetClass, Exchange, FundingRate, MarketInterface } from "ccxt";
import { loadExchangeClass } from "../ccxt-loader";
import { finite, record, THIRTY_MINUTES, type Enveloped, type VenueDescriptor } from "./types";

/**
 * Bitget v2 (the classic account): USDT-FUTURES perpetuals and spot. The contracts listing states
 * each perp's funding interval in hours; merge-depth takes gears 1/5/15/50/"max" only; funding
 * history pages by pageNo (1 = newest, no times), 100 a page. Open interest: the current figure
 * only (no public history endpoint in v2).
 */

/**
 * Bitget's current-fund-rate item carries no time (and no prices); its envelope's requestTime is
 * the venue's own stamp, kept beside ccxt's parse.
 */
async function fundingWithEnvelope(exchange: Exchange, market: MarketInterface): Promise<Enveloped<FundingRate>> {
  const raw = exchange as BitgetClass;
  const response = record(await raw.publicMixGetV2MixMarketCurrentFundRate({ symbol: market.id, productType: "USDT-FUTURES" }));
  const data = response["data"];
  const item = record(Array.isArray(data) ? data[0] : undefined);
  return { value: raw.parseFundingRate(item, market), envelopeTime: response["requestTime"] };
}

export const bitget: VenueDescriptor = {
  id: "bitget",
  name: "Bitget",
  loadClass: () => loadExchangeClass("bitget"),
  // uta: false: the classic account's v2 endpoints; it also spares an authenticated client the /api/v3 account probe.
  marketDataOptions: { fetchMarkets: { types: ["spot", "swap"] }, defaultType: "swap", uta: false },
  liveOptions: { fetchMarkets: { types: ["swap"] }, defaultType: "swap", uta: false },
  fundingIntervalSource: "listing",
  listedIntervalHours: (listing) => {
    const hours = finite(listing["fundInterval"]); // contracts listing, in hours
    return hours !== null && hours > 0 ? hours : null;
  },
  sizeUnit: "base",
  historyPaging: { limit: 100, direction: "pages" },
  bookRequest: (depth) => {
    const gear = [1, 5, 15, 50].find((n) => n >= Math.max(1, Math.floor(depth)));
    // Without a limit Bitget sends 100 levels; "max" is its deepest gear.
    return gear === undefined ? { limit: undefined, params: { limit: "max" } } : { limit: gear, params: {} };
  },
  // Bitget answers too many requests with 429 (Retry-After); it documents no IP ban answer.
  bans: { statuses: [], defaultMs: THIRTY_MINUTES },
  perpId: (base, quote) => `${base}${quote}`,
  perpListing: ({ id, base, quote, settle }, { fundingIntervalHours: hours }) => ({
    symbol: id, baseCoin: base, quoteCoin: quote, supportMarginCoins: [settle], symbolType: "perpetual", symbolStatus: "normal",
    ...(hours === undefined ? {} : { fundInterval: String(hours) }),
  }),
  requiresContractSize: false,
  openInterest: { current: true, history: false },
  // ccxt's fetchTickers (uta false): GET /api/v2/mix/market/tickers?productType=USDT-FUTURES and
  // /api/v2/spot/market/tickers without a symbol, every market of the type; cost 1 like the single ones.
  bulkTickers: { perp: { single: 1, bulk: 1 }, spot: { single: 1, bulk: 1 } },
  fetchFundingRate: fundingWithEnvelope,
};
