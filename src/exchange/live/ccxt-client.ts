import { binanceusdm, bitget, bybit, okx, type Exchange } from "ccxt";
import { pointAt } from "../ccxt-hosts";
import type { LiveVenue } from "./venue-dialect";

export interface LiveCredentials {
  readonly apiKey: string;
  readonly secret: string;
  /** OKX and Bitget keys carry a passphrase (ccxt calls it `password`). */
  readonly passphrase?: string;
}

const CONSTRUCTORS = { bybit, binanceusdm, okx, bitget } as const;

/** Only the linear swaps, as in market data: every market type would cost several large requests. */
const OPTIONS: Readonly<Record<LiveVenue, Record<string, unknown>>> = {
  bybit: { fetchMarkets: { types: ["linear"] } },
  binanceusdm: { fetchMarkets: { types: ["linear"] } },
  okx: { fetchMarkets: { types: ["swap"] } },
  // uta: false: the classic (v2) account; without it ccxt probes /api/v3 to detect a unified one.
  bitget: { fetchMarkets: { types: ["swap"] }, defaultType: "swap", uta: false },
};

/**
 * An authenticated ccxt client for one venue. Keys come from the caller (the environment); the
 * client is never logged. `hostOverride` points it at a stand-in.
 */
export function createLiveExchange(venue: LiveVenue, credentials: LiveCredentials, options: { timeoutMs?: number; hostOverride?: string } = {}): Exchange {
  const exchange: Exchange = new CONSTRUCTORS[venue]({
    apiKey: credentials.apiKey, secret: credentials.secret, ...(credentials.passphrase === undefined ? {} : { password: credentials.passphrase }),
    enableRateLimit: true, timeout: options.timeoutMs ?? 10_000, options: OPTIONS[venue],
  });
  if (options.hostOverride !== undefined) pointAt(exchange, options.hostOverride);
  return exchange;
}
