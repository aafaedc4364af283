import { findSharedFiles } from "../../src/history/import/shared-files";
import { readCandleFile } from "../../src/history/shared-data";
import type { CandleState, ExchangeServer, Venue } from "./exchange-server";
import { sharedDataPath } from "./exchange-server";

/**
 * A stand-in venue serving one coin as ../shared/data recorded it, up to the moment `at`: perp
 * candles, spot candles where the coin has a spot file, settled funding, and the current rate,
 * ticker volumes and book derived from them. Files are found by name pattern (as
 * `npm run data:import` finds them), so any coin of the data works, and a coin without a spot file
 * is a venue without that spot pair. What the data does not hold is built, and said here: the live
 * (predicted) rate is the last settled one, and the book is 20 levels a tick apart around the last
 * close with sizes from the last hour's volume (the recorded L2 books cover one day of BTC only).
 * Open interest is not in the data: the venue is left without it.
 */
export interface SharedScenario {
  readonly perpCandles: number;
  readonly spotCandles: number;
  readonly fundingPrints: number;
  readonly lastClose: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export async function loadSharedScenario(server: ExchangeServer, venue: Venue, symbol: string, options: { at: number; days?: number }): Promise<SharedScenario> {
  const from = options.at - (options.days ?? 40) * DAY;
  const files = findSharedFiles(sharedDataPath("."), { symbol, venue: "binanceusdm" });
  const candlesOf = (kind: "perp" | "spot"): CandleState[] => {
    const file = files.find((f) => f.kind === kind);
    // Bars that had closed by `at`: the stand-in serves what the venue had then.
    return file === undefined ? [] : readCandleFile(file.path).filter((c) => c.ts >= from && c.ts + HOUR <= options.at);
  };
  const perp = candlesOf("perp");
  const last = perp.at(-1);
  if (last === undefined) throw new Error(`../shared/data holds no Binance perp candles of ${symbol} before ${new Date(options.at).toISOString()}.`);
  server.addMarket(venue, symbol);
  server.setCandles(venue, symbol, perp);

  const fundingFile = files.find((f) => f.kind === "funding");
  const fundingPrints = fundingFile === undefined ? 0 : await server.loadRealFunding(venue, symbol, fundingFile.path, from, options.at);
  const lastRate = fundingFile === undefined ? 0.0001 : lastSettledRate(server, venue, symbol);
  const nextFundingTs = Math.ceil((options.at + 1) / (8 * HOUR)) * 8 * HOUR;
  server.setCurrentFunding(venue, symbol, { rate: lastRate, nextFundingTs, intervalHours: 8, markPrice: last.close, indexPrice: last.close });

  const tick = last.close / 10_000;
  const levelSize = Math.max(last.volume / 200, 0.001);
  const side = (sign: 1 | -1) => Array.from({ length: 20 }, (_, i) => [last.close + sign * tick * (i + 1), levelSize * (1 + i / 10)] as const);
  server.setBook(venue, symbol, { bids: side(-1), asks: side(1) });
  server.setTicker(venue, symbol, { last: last.close, bid: last.close - tick, ask: last.close + tick, ...dayVolumes(perp) });

  const spot = candlesOf("spot");
  server.setListing(venue, symbol, { spot: spot.length > 0 });
  const lastSpot = spot.at(-1);
  if (lastSpot !== undefined) {
    server.setSpotCandles(venue, symbol, spot);
    server.setSpotTicker(venue, symbol, { last: lastSpot.close, ...dayVolumes(spot) });
  }
  return { perpCandles: perp.length, spotCandles: spot.length, fundingPrints, lastClose: last.close };
}

function lastSettledRate(server: ExchangeServer, venue: Venue, symbol: string): number {
  return server.fundingHistoryOf(venue, symbol).at(-1)?.rate ?? 0.0001;
}

/** 24 h base and quote volume from the last 24 hourly bars. */
function dayVolumes(candles: readonly CandleState[]): { baseVolume24h: number; quoteVolume24h: number } {
  const day = candles.slice(-24);
  return { baseVolume24h: day.reduce((s, c) => s + c.volume, 0), quoteVolume24h: day.reduce((s, c) => s + c.volume * c.close, 0) };
}
