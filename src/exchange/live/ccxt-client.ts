import type { Exchange } from "ccxt";
import { pointAt } from "../ccxt-hosts";
import { venueDescriptor } from "../venues/registry";
import { binanceusdm, bitget, bybit, okx } from "./ccxt-classes";
import type { LiveVenue } from "./venue-dialect";

export interface LiveCredentials {
  readonly apiKey: string;
  readonly secret: string;
  /** OKX and Bitget keys carry a passphrase (ccxt calls it `password`). */
  readonly passphrase?: string;
}

const CONSTRUCTORS = { bybit, binanceusdm, okx, bitget } as const;

/**
 * An authenticated ccxt client for one venue, with the venue descriptor's live options (linear
 * swaps only, as in market data: every market type would cost several large requests). Keys come
 * from the caller (the environment); the client is never logged. `hostOverride` points it at a stand-in.
 */
export function createLiveExchange(venue: LiveVenue, credentials: LiveCredentials, options: { timeoutMs?: number; hostOverride?: string } = {}): Exchange {
  const exchange: Exchange = new CONSTRUCTORS[venue]({
    apiKey: credentials.apiKey, secret: credentials.secret, ...(credentials.passphrase === undefined ? {} : { password: credentials.passphrase }),
    enableRateLimit: true, timeout: options.timeoutMs ?? 10_000, options: { ...venueDescriptor(venue).liveOptions },
  });
  if (options.hostOverride !== undefined) pointAt(exchange, options.hostOverride);
  return exchange;
}
