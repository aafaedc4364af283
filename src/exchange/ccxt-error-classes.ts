import type * as Ccxt from "ccxt";
import { ccxtFileUrl } from "./ccxt-loader";

/**
 * ccxt's error classes without the rest of ccxt: js/src/base/errors.js is the very module instance
 * ccxt.js re-exports (same file URL, one ESM instance), so `instanceof` against errors imported
 * from "ccxt" (as tests do) holds both ways. The module is small and has no exchange code, so it
 * is loaded eagerly (top-level await): the classes are needed synchronously, for `instanceof`.
 */
const errors = (await import(ccxtFileUrl("src/base/errors.js"))) as typeof Ccxt;

export const {
  AuthenticationError, BadSymbol, DDoSProtection, DuplicateOrderId, ExchangeError, ExchangeNotAvailable, InsufficientFunds,
  InvalidNonce, InvalidOrder, MarginModeAlreadySet, NetworkError, OnMaintenance, OrderNotFound, RateLimitExceeded, RequestTimeout,
} = errors;
