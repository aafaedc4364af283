import { computeSignal } from "../src/core/signals/engine";
import type { Candle, SymbolMarketView, TimedRate, VenueBookView, VenueView } from "../src/core/signals/types";
import { loadBooks, loadCandles, loadFunding, lowerBound } from "./data";

/**
 * One full engine pass over 100 symbols × 4 venues, as a poll would run it. Only BTC has public
 * multi-venue history, so the 100 "symbols" are BTC seen at 100 different moments of 2022–2023:
 * each view carries real data of that moment — a week of real funding prints from four venues
 * (Binance, Bybit, Gate every 8 h, dYdX hourly), 8 days of real Binance perp and spot candles
 * (the volume stream's 7-day baseline plus its recent window), and a real 20-level perp book and
 * the one a second before it, re-centred on that moment's price. What is synthetic is only the
 * pairing: the book comes from 2024-08-08, and every venue shares Binance's candles (volumes
 * scaled per venue so that the venues differ).
 */

const HOUR_MS = 3_600_000;
const VENUES = [
  { name: "binanceusdm", file: "BTC-USDT_binance_funding.csv", intervalHours: 8, volumeShare: 1, basis: 0 },
  { name: "bybit", file: "BTC-USDT_bybit_funding.csv", intervalHours: 8, volumeShare: 0.45, basis: 0.0002 },
  { name: "gate", file: "BTC-USDT_gate_funding.csv", intervalHours: 8, volumeShare: 0.2, basis: -0.0001 },
  { name: "dydx", file: "BTC-USDT_dydx_funding.csv", intervalHours: 1, volumeShare: 0.05, basis: 0.0003 },
] as const;

export const SYMBOLS = 100;

function slice<T extends { readonly ts: number }>(items: readonly T[], fromTs: number, toTs: number): T[] {
  return items.slice(lowerBound(items, fromTs), lowerBound(items, toTs));
}

/** Re-centres a real book on `price` (relative distances and sizes stay as recorded). */
function recentre(book: VenueBookView, price: number, ts: number): VenueBookView {
  const bestBid = book.bids[0]?.[0] ?? price;
  const bestAsk = book.asks[0]?.[0] ?? price;
  const scale = price / ((bestBid + bestAsk) / 2);
  const level = ([p, q]: readonly [number, number]): [number, number] => [p * scale, q];
  return { ts, bids: book.bids.map(level), asks: book.asks.map(level) };
}

function scaleVolume(candles: readonly Candle[], share: number): Candle[] {
  return candles.map((c) => ({ ...c, volume: c.volume * share }));
}

export function buildViews(): SymbolMarketView[] {
  const funding = VENUES.map((v) => loadFunding(`funding_multi_exchange/${v.file}`, 4));
  const perp = loadCandles("binance_spot_perp_1h/binance_usdm_BTCUSDT_perp_1h_ohlcv.csv");
  const spot = loadCandles("binance_spot_perp_1h/binance_spot_BTCUSDT_1h_ohlcv.csv");
  const books = loadBooks("orderbook_binance_20240808/binance-usdm_BTCUSDT_l2_top20_1s.csv");
  const first = Date.UTC(2022, 0, 15);
  const last = Date.UTC(2023, 11, 28);
  const views: SymbolMarketView[] = [];
  for (let s = 0; s < SYMBOLS; s++) {
    // Decision times spread over two years, at a few minutes past an hour like a real poll.
    const ts = Math.floor((first + ((last - first) * s) / SYMBOLS) / HOUR_MS) * HOUR_MS + 5 * 60_000;
    const perpCandles = slice(perp, ts - 8 * 24 * HOUR_MS, ts - HOUR_MS + 1);
    const spotCandles = slice(spot, ts - 8 * 24 * HOUR_MS, ts - HOUR_MS + 1);
    const close = perpCandles.at(-1)?.close ?? 0;
    const venues: VenueView[] = VENUES.map((v, i) => {
      const prints = funding[i]!;
      const currentIndex = lowerBound(prints, ts + 1) - 1;
      const current: TimedRate | undefined = prints[currentIndex];
      const history = current === undefined ? [] : slice(prints, current.ts - 7 * 24 * HOUR_MS, current.ts);
      const price = close * (1 + v.basis);
      const b = (s * 3 + i * 41) % (books.length - 1) + 1;
      const perpVenue = scaleVolume(perpCandles, v.volumeShare);
      return {
        venue: v.name,
        price,
        funding: current === undefined ? null : { current, intervalHours: v.intervalHours, history },
        book: recentre(books[b]!, price, ts - 1_000),
        previousBook: recentre(books[b - 1]!, price, ts - 2_000),
        perpVolume24h: perpVenue.slice(-24).reduce((sum, c) => sum + c.volume, 0),
        perpCandles: perpVenue,
        spotCandles: scaleVolume(spotCandles, v.volumeShare),
      };
    });
    views.push({ symbol: `BTC@${new Date(ts).toISOString().slice(0, 13)}/USDT:USDT`, ts, venues });
  }
  return views;
}

export interface PassTiming {
  /** The very first pass, JIT still cold (what the first poll after a start costs). */
  readonly coldMs: number;
  /** Median of the following passes. */
  readonly warmMs: number;
  readonly passes: number;
  /** Streams computed per pass (symbols × streams, each over every venue) and how many had data. */
  readonly streams: number;
  readonly availableStreams: number;
  readonly fired: number;
}

export function timeEnginePasses(views: readonly SymbolMarketView[], passes: number): PassTiming {
  const pass = (): { ms: number; streams: number; available: number; fired: number } => {
    let streams = 0;
    let available = 0;
    let fired = 0;
    const start = process.hrtime.bigint();
    for (const view of views) {
      const signal = computeSignal(view);
      streams += signal.streams.length;
      available += signal.streams.filter((x) => x.available).length;
      if (signal.fired) fired++;
    }
    return { ms: Number(process.hrtime.bigint() - start) / 1e6, streams, available, fired };
  };
  const cold = pass();
  const warm: number[] = [];
  for (let i = 0; i < passes; i++) warm.push(pass().ms);
  warm.sort((a, b) => a - b);
  return { coldMs: cold.ms, warmMs: warm[warm.length >> 1] ?? cold.ms, passes, streams: cold.streams, availableStreams: cold.available, fired: cold.fired };
}
