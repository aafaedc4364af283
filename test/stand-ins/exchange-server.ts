import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  answer, banReply, matches, rateLimitReply, venueOfPath, type RequestMatch,
  type BookState, type CandleState, type CurrentFundingState, type FundingPrintState, type OpenInterestPoint, type SymbolState, type TickerState, type Venue, type VenueReply,
} from "./exchange-venue-formats";
import { StandInAccount, type Quote } from "./exchange-account";
import { binanceusdmPrivate } from "./private-binanceusdm";
import { bitgetPrivate } from "./private-bitget";
import { bybitPrivate } from "./private-bybit";
import { okxPrivate } from "./private-okx";
import type { PrivateHandler } from "./private-wire";

export type { BookState, CandleState, CurrentFundingState, FundingPrintState, OpenInterestPoint, RequestMatch, TickerState, Venue, VenueReply };
export { BULK_TICKERS } from "./exchange-venue-formats";

const PRIVATE: Readonly<Record<Venue, PrivateHandler>> = { bybit: bybitPrivate, binanceusdm: binanceusdmPrivate, okx: okxPrivate, bitget: bitgetPrivate };

/** A gateway's 502 page, as venues' CDNs send when the order engine answered too late. */
const BAD_GATEWAY = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n";
export { rateLimitReply };

/**
 * A local exchange server on 127.0.0.1 that answers the real ccxt client in Bybit v5, Binance
 * (USD-M fapi, spot api/v3, futures/data), OKX v5 and Bitget v2 REST formats, perps and spot pairs.
 * One server serves all four: their paths do not overlap (/v5, /fapi + /api/v3 + /futures/data,
 * /api/v5, /api/v2), so the adapter points every host of a venue at `url`.
 * State is per venue and symbol (ccxt unified symbols), in base units; the formats module turns it
 * into each venue's wire shape. Failures and delays are injected per venue and path (and query,
 * where a bulk request shares its path with the single one: BULK_TICKERS).
 */

export interface RecordedRequest { readonly venue: Venue | null; readonly method: string; readonly path: string; readonly query: Readonly<Record<string, string>>; readonly body: string }
export interface FailSpec { readonly status: number; readonly body?: unknown; readonly headers?: Readonly<Record<string, string>> }

/**
 * `pattern`: the path, or a path and query (BULK_TICKERS: a bulk request shares its path with the
 * single one on some venues). `method`: only requests with this HTTP method (e.g. POST, so an
 * order lookup on the same path is not hit).
 */
type Pattern = RegExp | RequestMatch;
interface Injection { readonly venue: Venue; readonly pattern: Pattern; times: number; readonly method?: string }
interface Failure extends Injection { readonly reply: FailSpec }
interface Delay extends Injection { readonly ms: number }

/** The repository root (this file is test/stand-ins/…), so data paths work from any cwd. */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** A file under ../shared/data (beside the repository), read in place, never copied. */
export function sharedDataPath(relative: string): string {
  return resolve(REPO_ROOT, "../shared/data", relative);
}

export class ExchangeServer {
  /** Every request, in order: tests assert that ccxt really called the endpoint they expect. */
  readonly requests: RecordedRequest[] = [];

  private readonly server: Server = createServer((req, res) => void this.handle(req, res));
  private readonly state: Record<Venue, Map<string, SymbolState>> = { bybit: new Map(), binanceusdm: new Map(), okx: new Map(), bitget: new Map() };
  /** One trading account per venue (orders, positions, balance, keys); `reset` makes new ones. */
  accounts: Record<Venue, StandInAccount>;
  private readonly failures: Failure[] = [];
  private readonly delays: Delay[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly now: () => number;
  private port = 0;

  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
    this.accounts = this.newAccounts();
  }

  private newAccounts(): Record<Venue, StandInAccount> {
    const make = (venue: Venue): StandInAccount => new StandInAccount((symbol) => this.quote(venue, symbol), () => this.now());
    return { bybit: make("bybit"), binanceusdm: make("binanceusdm"), okx: make("okx"), bitget: make("bitget") };
  }

  /** Best bid/ask and last of a listed symbol, from its book, ticker or current funding mark. */
  quote(venue: Venue, symbol: string): Quote | undefined {
    const s = this.state[venue].get(symbol);
    if (s === undefined) return undefined;
    const last = s.ticker?.last ?? s.current?.markPrice ?? s.book?.bids[0]?.[0] ?? 100;
    return { bid: s.book?.bids[0]?.[0] ?? s.ticker?.bid ?? last, ask: s.book?.asks[0]?.[0] ?? s.ticker?.ask ?? last, last };
  }

  /** Moves the market of `symbol` to `last` (book around it cleared): stops and take-profits that cross it fire. */
  movePrice(venue: Venue, symbol: string, last: number): void {
    const s = this.symbol(venue, symbol);
    s.ticker = { last, baseVolume24h: s.ticker?.baseVolume24h ?? 0, quoteVolume24h: s.ticker?.quoteVolume24h ?? 0 };
    s.book = undefined;
    this.accounts[venue].onPrice(symbol);
  }

  async start(): Promise<void> {
    await new Promise<void>((done, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => done());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((done) => this.server.close(() => done()));
  }

  /** "http://127.0.0.1:PORT": give it to the adapter as hostOverride. */
  get url(): string {
    if (this.port === 0) throw new Error("ExchangeServer: call start() first");
    return `http://127.0.0.1:${this.port}`;
  }

  /** Forgets all state, injections and the request log (between tests). */
  reset(): void {
    for (const venue of Object.values(this.state)) venue.clear();
    this.failures.length = 0;
    this.delays.length = 0;
    this.requests.length = 0;
    this.accounts = this.newAccounts();
  }

  /** Lists a market (instruments-info, exchangeInfo, instruments); setting any state does too. */
  addMarket(venue: Venue, symbol: string, options: { contractSize?: number } = {}): void {
    const s = this.symbol(venue, symbol);
    if (options.contractSize !== undefined) s.contractSize = options.contractSize;
  }

  /**
   * What the venue lists of `symbol` (a perp symbol, BTC/USDT:USDT): the perp itself and its spot
   * pair (BTC/USDT). Both are listed unless said otherwise; an unlisted one is absent from the
   * venue's instruments and answered with the venue's "no such symbol" error.
   */
  setListing(venue: Venue, symbol: string, listing: { perp?: boolean; spot?: boolean }): void {
    const s = this.symbol(venue, symbol);
    if (listing.perp !== undefined) s.perpListed = listing.perp;
    if (listing.spot !== undefined) s.spotListed = listing.spot;
  }

  /** Leaves the listed `symbol` (perp and spot pair) out of the venue's bulk ticker answers: its single answers stay. */
  leaveOutOfBulk(venue: Venue, symbol: string): void {
    this.symbol(venue, symbol).inBulk = false;
  }

  /** The 24 h ticker of the perp's spot pair (base and quote volumes). */
  setSpotTicker(venue: Venue, symbol: string, ticker: TickerState): void {
    this.symbol(venue, symbol).spotTicker = ticker;
  }

  /** Hourly candles of the perp's spot pair, volume in base units. */
  setSpotCandles(venue: Venue, symbol: string, candles: readonly CandleState[]): void {
    this.symbol(venue, symbol).spotCandles = [...candles].sort((a, b) => a.ts - b.ts);
  }

  /** Open interest in base units and USDT: the current figure, and hourly history (oldest first). */
  setOpenInterest(venue: Venue, symbol: string, current: { amount: number; value: number }, history: readonly OpenInterestPoint[] = []): void {
    const s = this.symbol(venue, symbol);
    s.openInterest = current;
    s.openInterestHistory = [...history].sort((a, b) => a.ts - b.ts);
  }

  setFundingHistory(venue: Venue, symbol: string, prints: readonly FundingPrintState[]): void {
    this.symbol(venue, symbol).history = [...prints].sort((a, b) => a.ts - b.ts);
  }

  /** The settled prints the venue serves for `symbol`, oldest first. */
  fundingHistoryOf(venue: Venue, symbol: string): readonly FundingPrintState[] {
    return this.state[venue].get(symbol)?.history ?? [];
  }

  setCurrentFunding(venue: Venue, symbol: string, funding: CurrentFundingState): void {
    this.symbol(venue, symbol).current = funding;
  }

  /** Sizes in base units; OKX's answer converts them to contracts. Best level first. */
  setBook(venue: Venue, symbol: string, book: BookState): void {
    this.symbol(venue, symbol).book = book;
  }

  setTicker(venue: Venue, symbol: string, ticker: TickerState): void {
    this.symbol(venue, symbol).ticker = ticker;
  }

  setCandles(venue: Venue, symbol: string, candles: readonly CandleState[]): void {
    this.symbol(venue, symbol).candles = [...candles].sort((a, b) => a.ts - b.ts);
  }

  /**
   * Fills funding history from a real CSV (columns ts_ms,time_utc,funding_rate) with
   * fromTs <= ts < toTs. A relative path is taken from the repository root, e.g.
   * "../shared/data/binance_spot_perp_1h/binance_usdm_BTCUSDT_funding.csv". Returns the count.
   */
  async loadRealFunding(venue: Venue, symbol: string, csvPath: string, fromTs: number, toTs: number): Promise<number> {
    const text = await readFile(resolve(REPO_ROOT, csvPath), "utf8");
    const [head, ...lines] = text.split(/\r?\n/);
    const columns = (head ?? "").split(",");
    const tsCol = columns.indexOf("ts_ms");
    const rateCol = columns.indexOf("funding_rate");
    if (tsCol < 0 || rateCol < 0) throw new Error(`${csvPath}: expected columns ts_ms and funding_rate, found ${head ?? "nothing"}`);
    const prints: FundingPrintState[] = [];
    for (const line of lines) {
      const cells = line.split(",");
      const ts = Number(cells[tsCol]);
      const rate = Number(cells[rateCol]);
      if (line.trim() === "" || !Number.isFinite(ts) || !Number.isFinite(rate)) continue;
      if (ts >= fromTs && ts < toTs) prints.push({ ts, rate });
    }
    this.setFundingHistory(venue, symbol, prints);
    return prints.length;
  }

  /** The next `times` requests of `venue` whose path matches get this answer instead. */
  failNext(venue: Venue, pathPattern: Pattern, times: number, reply: FailSpec, method?: string): void {
    this.failures.push({ venue, pattern: pathPattern, times, reply, ...(method === undefined ? {} : { method }) });
  }

  /** The next `times` requests of `venue` whose path matches get this exact reply (e.g. a raw venue body, HTTP 200). */
  replyNext(venue: Venue, pathPattern: Pattern, times: number, reply: FailSpec): void {
    this.failNext(venue, pathPattern, times, reply);
  }

  /** The venue's real rate-limit answer (Bybit retCode 10006, Binance 429/-1003, OKX 429/50011). */
  rateLimitNext(venue: Venue, pathPattern: Pattern, retryAfterSeconds: number, times = 1, method?: string): void {
    this.failNext(venue, pathPattern, times, rateLimitReply(venue, retryAfterSeconds, this.now()), method);
  }

  /** The venue's real IP-ban answer (Binance 418 "banned until", Bybit 403) for the next `times` matching requests. */
  banNext(venue: Venue, pathPattern: Pattern, options: { bannedUntil?: number; retryAfterSeconds?: number } = {}, times = 1, method?: string): void {
    this.failNext(venue, pathPattern, times, banReply(venue, options, this.now()), method);
  }

  /** Holds the next `times` matching requests for `ms` before answering (to provoke timeouts). */
  delayNext(venue: Venue, pathPattern: Pattern, ms: number, times = 1): void {
    this.delays.push({ venue, pattern: pathPattern, times, ms });
  }

  requestsTo(venue: Venue, pathPattern?: Pattern): RecordedRequest[] {
    return this.requests.filter((r) => r.venue === venue && (pathPattern === undefined || matches(pathPattern, r.path, new URLSearchParams(r.query))));
  }

  private symbol(venue: Venue, symbol: string): SymbolState {
    let s = this.state[venue].get(symbol);
    if (s === undefined) {
      const m = /^([A-Z0-9]+)\/([A-Z0-9]+):([A-Z0-9]+)$/.exec(symbol);
      if (m?.[1] === undefined || m[2] === undefined) throw new Error(`ExchangeServer: "${symbol}" is not a ccxt linear perp symbol like BTC/USDT:USDT`);
      s = {
        symbol, base: m[1], quote: m[2], contractSize: 1, history: [], current: undefined, book: undefined, ticker: undefined, candles: [],
        perpListed: true, spotListed: true, spotTicker: undefined, spotCandles: [], openInterest: undefined, openInterestHistory: [], inBulk: true,
      };
      this.state[venue].set(symbol, s);
    }
    return s;
  }

  private take<T extends Injection>(list: T[], venue: Venue | null, path: string, query: URLSearchParams, method: string): T | undefined {
    const hit = list.find((i) => i.venue === venue && i.times > 0 && matches(i.pattern, path, query) && (i.method === undefined || i.method === method));
    if (hit !== undefined) hit.times -= 1;
    return hit;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const venue = venueOfPath(url.pathname);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString("utf8");
    this.requests.push({ venue, method: req.method ?? "GET", path: url.pathname, query: Object.fromEntries(url.searchParams), body: rawBody });

    const delay = this.take(this.delays, venue, url.pathname, url.searchParams, req.method ?? "GET");
    if (delay !== undefined) {
      await new Promise<void>((done) => {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          done();
        }, delay.ms);
        this.timers.add(timer);
      });
      if (res.destroyed || req.socket.destroyed) return; // the client gave up (timeout)
    }

    let reply: VenueReply | null;
    const failure = this.take(this.failures, venue, url.pathname, url.searchParams, req.method ?? "GET");
    if (failure !== undefined) reply = { status: failure.reply.status, body: failure.reply.body ?? "", headers: failure.reply.headers ?? {} };
    else if (venue === null) reply = null;
    else {
      const symbols = [...this.state[venue].values()];
      reply = PRIVATE[venue]({ method: req.method ?? "GET", path: url.pathname, query: url.searchParams, body: rawBody, headers: req.headers }, { account: this.accounts[venue], symbols, now: this.now() });
      if (reply === null && req.method === "GET") reply = answer(venue, url.pathname, url.searchParams, symbols, this.now());
    }
    // The order was booked; the answer is lost on the way (the client times out) or replaced by the gateway's 502.
    if (reply?.transport === "hang") return;
    if (reply?.transport === "5xx") reply = { status: 502, body: BAD_GATEWAY };

    const status = reply?.status ?? 404;
    const body = reply === null ? "<html><body><h1>404 Not Found</h1></body></html>" : typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body ?? "");
    const contentType = reply === null || typeof reply.body === "string" ? "text/html" : "application/json";
    res.writeHead(status, { "Content-Type": contentType, ...(reply?.headers ?? {}) });
    res.end(body);
  }
}
