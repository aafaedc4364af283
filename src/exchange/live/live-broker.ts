import type { Logger } from "../../log";
import type { LiveBroker } from "../broker";
import { binanceusdmDialect } from "./binanceusdm";
import { bitgetDialect } from "./bitget";
import { bybitDialect } from "./bybit";
import { createCcxtBroker } from "./ccxt-broker";
import { createLiveExchange, type LiveCredentials } from "./ccxt-client";
import { okxDialect } from "./okx";
import type { LiveVenue, VenueDialect } from "./venue-dialect";

export const DIALECTS: Readonly<Record<LiveVenue, VenueDialect>> = { bybit: bybitDialect, binanceusdm: binanceusdmDialect, okx: okxDialect, bitget: bitgetDialect };

/** The live broker for the trading venue: an authenticated ccxt client and the venue's dialect. */
export function createLiveBroker(options: {
  readonly venue: LiveVenue;
  readonly credentials: LiveCredentials;
  readonly logger: Logger;
  readonly leverage: number;
  readonly marginMode: "isolated" | "cross";
  readonly timeoutMs?: number;
  readonly hostOverride?: string;
  readonly settleDelaysMs?: readonly number[];
}): LiveBroker {
  const exchange = createLiveExchange(options.venue, options.credentials, {
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.hostOverride === undefined ? {} : { hostOverride: options.hostOverride }),
  });
  const { apiKey, secret, passphrase } = options.credentials;
  return createCcxtBroker({
    exchange, dialect: DIALECTS[options.venue], logger: options.logger, leverage: options.leverage, marginMode: options.marginMode,
    secrets: [apiKey, secret, ...(passphrase === undefined ? [] : [passphrase])],
    ...(options.settleDelaysMs === undefined ? {} : { settleDelaysMs: options.settleDelaysMs }),
  });
}
