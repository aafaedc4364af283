import pino from "pino";
import { loadExchangeClass } from "../src/exchange/ccxt-loader";
import { createCcxtMarketData, type CcxtVenue } from "../src/exchange/ccxt-market-data";

/**
 * A child of bench/market-memory.ts, run as `node --import tsx bench/market-memory-child.ts MODE`:
 * empty (tsx alone), four (the four venue classes through perpbot's lazy loader, instantiated),
 * all (`import "ccxt"`, the same four instantiated), sources (perpbot's four market-data sources,
 * their markets loaded from the stand-in at STAND_IN_URL, then one poll's reads of every symbol in
 * BENCH_SYMBOLS), sources+all (the same after `import "ccxt"`). Prints one JSON line.
 */

const VENUES: readonly CcxtVenue[] = ["bybit", "binanceusdm", "okx", "bitget"];
const mode = process.argv[2] ?? "empty";
let instances = 0;

if (mode === "all" || mode === "sources+all") {
  const ccxt = (await import("ccxt")).default as unknown as Record<string, new (config: object) => object>;
  if (mode === "all") for (const id of VENUES) instances += [new ccxt[id]!({ enableRateLimit: true })].length;
}
if (mode === "four") {
  for (const id of VENUES) instances += [new (await loadExchangeClass(id))({ enableRateLimit: true })].length;
}
if (mode === "sources" || mode === "sources+all") {
  const url = process.env.STAND_IN_URL ?? "";
  const symbols = (process.env.BENCH_SYMBOLS ?? "").split(",").filter((s) => s !== "");
  const logger = pino({ level: "silent" });
  const sources = VENUES.map((venue) => createCcxtMarketData({ venue, logger, hostOverride: url }));
  await Promise.all(sources.map(async (source) => {
    for (const symbol of symbols) {
      await source.checkSymbol(symbol);
      await Promise.all([source.fetchFunding(symbol), source.fetchTicker(symbol), source.fetchOrderBook(symbol, 20), source.fetchSpotTicker(symbol), source.fetchOpenInterest(symbol)]);
      await source.fetchPerpCandles(symbol, Date.now() - 48 * 3_600_000);
    }
  }));
  instances = sources.length;
}
await new Promise((resolve) => setTimeout(resolve, 300));
const m = process.memoryUsage();
console.log(JSON.stringify({ mode, rss: m.rss, heapUsed: m.heapUsed, instances }));
process.exit(0);
