import type { MarketInterface } from "ccxt";
import { binanceusdm } from "./binanceusdm";
import { bitget } from "./bitget";
import { bybit } from "./bybit";
import { okx } from "./okx";
import type { VenueDescriptor } from "./types";

/**
 * The venues perpbot reads and trades, one descriptor file each. Adding a venue is its file, one
 * line here, and its stand-in formats (test/stand-ins). Importing this loads no ccxt code: each
 * descriptor loads its ccxt class on first use.
 */
const REGISTRY = { bybit, binanceusdm, okx, bitget } as const satisfies Record<string, VenueDescriptor>;

export type VenueId = keyof typeof REGISTRY;

/** Every venue id, in the registry's order: what VENUES may name. */
export const VENUE_IDS = Object.keys(REGISTRY) as [VenueId, ...VenueId[]];

export function isVenueId(value: string): value is VenueId {
  return Object.hasOwn(REGISTRY, value);
}

export function venueDescriptor(venue: VenueId): VenueDescriptor {
  return REGISTRY[venue];
}

/** The descriptor of a venue named by a plain string (an error's venue); undefined for one perpbot does not know. */
export function findVenue(venue: string): VenueDescriptor | undefined {
  return isVenueId(venue) ? REGISTRY[venue] : undefined;
}

/** "MNT/USDT:USDT" → its parts, or null when it is not a linear perpetual in ccxt's unified form. */
export function perpParts(symbol: string): { base: string; quote: string; settle: string } | null {
  const m = /^([A-Z0-9]+)\/([A-Z0-9]+):([A-Z0-9]+)$/.exec(symbol);
  const [, base, quote, settle] = m ?? [];
  return base === undefined || quote === undefined || settle === undefined || settle !== quote ? null : { base, quote, settle };
}

/** The matching spot pair of a linear perp: MNT/USDT:USDT → MNT/USDT. */
export function spotSymbolOf(perp: string): string {
  return perp.replace(/:[A-Z0-9]+$/, "");
}

/**
 * A minimal but complete ccxt market for a linear perpetual, shaped like the venue's own
 * instrument listing, so `setMarkets` can stand in for `loadMarkets` (tests, offline use).
 * OKX counts sizes in contracts: its `contractSize` (ctVal, e.g. 0.01 for BTC-USDT-SWAP) is
 * required. `fundingIntervalHours` is left out unless given, so the venue's answer decides.
 */
export function perpMarketFor(venue: VenueId, symbol: string, options: { contractSize?: number; fundingIntervalHours?: number } = {}): MarketInterface {
  const parts = perpParts(symbol);
  if (parts === null) throw new Error(`"${symbol}" is not a linear perpetual in ccxt's unified form; write it like MNT/USDT:USDT.`);
  const descriptor = REGISTRY[venue];
  if (descriptor.requiresContractSize && options.contractSize === undefined) {
    throw new Error(`${descriptor.name} sizes ${symbol} in contracts: pass its contractSize (the listing's contract value).`);
  }
  const { base, quote, settle } = parts;
  const id = descriptor.perpId(base, quote);
  return {
    id, symbol, base, quote, settle, baseId: base, quoteId: quote, settleId: settle,
    type: "swap", subType: "linear", spot: false, margin: false, swap: true, future: false, option: false,
    active: true, contract: true, linear: true, inverse: false, contractSize: options.contractSize ?? 1,
    expiry: undefined, expiryDatetime: undefined, strike: undefined, optionType: undefined, created: undefined,
    precision: { amount: undefined, price: undefined },
    limits: { amount: { min: undefined, max: undefined }, price: { min: undefined, max: undefined }, cost: { min: undefined, max: undefined }, leverage: { min: undefined, max: undefined } },
    info: descriptor.perpListing({ id, base, quote, settle }, options),
  };
}
