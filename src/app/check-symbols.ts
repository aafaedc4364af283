import { ConfigError } from "../config";
import { ExchangeError, venueName } from "../exchange/errors";
import type { MarketDataSource, SymbolListing } from "../exchange/market-data";
import type { App } from "./context";
import { sendText } from "./send-text";
import { openCooldown, type VenueCooldown } from "./venue-cooldown";

/**
 * Which venue lists which configured symbol, asked once per venue and symbol (each venue's
 * `checkSymbol`, which loads its markets once). Checked when the worker starts: a symbol a venue
 * lacks is reported once (log and one chat text, never again for that pair) and that venue skips
 * it; a symbol no venue lists is a configuration error. A venue that could not be asked (network,
 * a ban) is not a verdict: it is polled as before and asked again at the next cycle.
 */

/** Per database, like the venue cool-downs: one per process in production, one per test app. */
const known = new WeakMap<object, Map<string, SymbolListing>>();
const pairKey = (venue: string, symbol: string): string => `${venue}\u0000${symbol}`;

function remembered(app: App): Map<string, SymbolListing> {
  let map = known.get(app.db);
  if (map === undefined) {
    map = new Map();
    known.set(app.db, map);
  }
  return map;
}

/** What the venue lists of `symbol`, when it has been asked successfully; undefined when not (yet) known. */
export function knownListing(app: App, venue: string, symbol: string): SymbolListing | undefined {
  return remembered(app).get(pairKey(venue, symbol));
}

export interface UncheckedPair {
  readonly venue: string;
  readonly symbol: string;
  /** The error the venue's check ended with. */
  readonly error: unknown;
}

/**
 * Asks `source` about each symbol it has not answered for yet, remembers the answers and reports a
 * newly found missing perp once. Never throws: a failed check is returned and the pair is polled
 * anyway. A ban or a requested pause in the answer opens the venue's cool-down and stops asking.
 */
export async function checkVenueSymbols(
  app: App, source: MarketDataSource, symbols: readonly string[],
): Promise<{ unchecked: UncheckedPair[]; cooling: VenueCooldown | null }> {
  const memory = remembered(app);
  const unchecked: UncheckedPair[] = [];
  for (const [index, symbol] of symbols.entries()) {
    if (memory.has(pairKey(source.venue, symbol))) continue;
    try {
      const listing = await source.checkSymbol(symbol);
      memory.set(pairKey(source.venue, symbol), listing);
      if (!listing.perp) await reportUnlisted(app, source.venue, symbol);
      else if (listing.spotSymbol === null) app.logger.info({ venue: source.venue, symbol }, `${venueName(source.venue)} lists no spot pair for ${symbol}: no spot volume from it`);
    } catch (error) {
      app.logger.warn({ venue: source.venue, symbol, error: error instanceof Error ? error.message : String(error) }, "symbol listing not checked; polling it anyway and asking again next cycle");
      unchecked.push({ venue: source.venue, symbol, error });
      const cooling = error instanceof ExchangeError ? await openCooldown(app, error) : null;
      if (cooling !== null) {
        for (const rest of symbols.slice(index + 1)) if (!memory.has(pairKey(source.venue, rest))) unchecked.push({ venue: source.venue, symbol: rest, error });
        return { unchecked, cooling };
      }
    }
  }
  return { unchecked, cooling: null };
}

async function reportUnlisted(app: App, venue: string, symbol: string): Promise<void> {
  const text = `${venueName(venue)} does not list ${symbol}; it is skipped there and watched on the other venues.`;
  app.logger.warn({ venue, symbol }, text);
  // The key makes it once-only across restarts too (sendText keeps the intent).
  await sendText(app, `symbol-unlisted-${venue}-${symbol}`, text, "data");
}

export interface SymbolCheck {
  /** Listed pairs per symbol: the venues that list its perp. */
  readonly listedOn: ReadonlyMap<string, readonly string[]>;
  readonly unchecked: readonly UncheckedPair[];
}

/**
 * The start check: every configured symbol on every venue, venues in parallel. Throws a
 * ConfigError naming the venues checked when a symbol is listed on none of them and every venue
 * answered; with a venue unanswered there is no verdict yet (it is asked again each cycle).
 */
export async function checkSymbols(app: App, sources: readonly MarketDataSource[]): Promise<SymbolCheck> {
  const { symbols } = app.settings;
  const unchecked = (await Promise.all(sources.map((source) => checkVenueSymbols(app, source, symbols)))).flatMap((r) => r.unchecked);
  const listedOn = new Map<string, string[]>();
  const problems: string[] = [];
  for (const symbol of symbols) {
    const listed = sources.filter((s) => knownListing(app, s.venue, symbol)?.perp === true).map((s) => s.venue);
    listedOn.set(symbol, listed);
    const answered = sources.every((s) => knownListing(app, s.venue, symbol) !== undefined);
    if (sources.length > 0 && listed.length === 0 && answered) {
      problems.push(`SYMBOLS: ${symbol} is not listed as a perpetual on any venue checked (${sources.map((s) => s.venue).join(", ")}). ` +
        "Check the spelling (unified ccxt form, e.g. MNT/USDT:USDT) or remove it.");
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { listedOn, unchecked };
}
