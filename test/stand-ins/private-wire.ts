import type { IncomingHttpHeaders } from "node:http";
import type { StandInAccount } from "./exchange-account";
import type { SymbolState, VenueReply } from "./exchange-venue-formats";

/**
 * What a venue's private wire module sees of one request, and what it may use to answer it.
 * A module returns null for a path that is not one of its private endpoints (the public router
 * then answers), and otherwise the venue's exact reply: signature errors, parameter errors and
 * business errors in the venue's own codes and texts, success bodies in its own field names.
 */
export interface PrivateRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  /** The raw body as sent (JSON for Bybit/OKX/Bitget, form-encoded for Binance when used). */
  readonly body: string;
  readonly headers: IncomingHttpHeaders;
}

export interface PrivateContext {
  readonly account: StandInAccount;
  /** Every listed market of this venue (ids via venueId in exchange-venue-formats). */
  readonly symbols: readonly SymbolState[];
  readonly now: number;
}

export type PrivateHandler = (request: PrivateRequest, context: PrivateContext) => VenueReply | null;
