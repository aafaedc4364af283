import type { VenueReply } from "./exchange-venue-formats";

/**
 * What the Bitget v2 stand-in's public and private sides share: the envelope every answer comes
 * in, how numbers are written, and each contract's lot rules as its listing
 * (/api/v2/mix/market/contracts) publishes them, so orders are checked against what ccxt loaded.
 */

/** The only product type the stand-in lists: USDT-margined perpetuals, sized in the base coin. */
export const PRODUCT_TYPE = "USDT-FUTURES";
export const MARGIN_COIN = "USDT";

/** Bitget's envelope: code "00000" and msg "success" on success, HTTP 200. */
export function ok(data: unknown, now: number): VenueReply {
  return { status: 200, body: { code: "00000", msg: "success", requestTime: now, data } };
}

/** Bitget's error envelope: HTTP 400 with the code and text, data null (ccxt reads the code from the body). */
export function fail(code: string, msg: string, now: number, status = 400): VenueReply {
  return { status, body: { code, msg, requestTime: now, data: null } };
}

/**
 * A decimal string as Bitget writes them: never exponent notation, no float noise
 * (0.019360000000000002 → "0.01936", 8.58e-6 → "0.00000858").
 */
export function dec(n: number): string {
  const rounded = Number(n.toPrecision(15));
  const plain = String(rounded);
  if (!/e/i.test(plain)) return plain;
  return rounded.toFixed(20).replace(/\.?0+$/, "");
}

/** "USDT-FUTURES", compared as Bitget does (its own examples also send "usdt-futures"). */
export function isProductType(value: string | null): boolean {
  return value !== null && value.toUpperCase() === PRODUCT_TYPE;
}

export interface ContractRules {
  /** Size step in the base coin (sizeMultiplier); also the minimum (minTradeNum). */
  readonly sizeMultiplier: number;
  /** Decimal places of a size (volumePlace). */
  readonly volumePlace: number;
  /** Decimal places of a price (pricePlace), with priceEndStep 1. */
  readonly pricePlace: number;
  /** Smallest opening order value in USDT (minTradeUSDT). */
  readonly minTradeUSDT: number;
}

/** Bitget's real steps for the coins tests use; other coins get a 0.1 step and 4 price decimals. */
const RULES: Readonly<Record<string, ContractRules>> = {
  BTC: { sizeMultiplier: 0.001, volumePlace: 3, pricePlace: 1, minTradeUSDT: 5 },
  ETH: { sizeMultiplier: 0.01, volumePlace: 2, pricePlace: 2, minTradeUSDT: 5 },
};
const DEFAULT_RULES: ContractRules = { sizeMultiplier: 0.1, volumePlace: 1, pricePlace: 4, minTradeUSDT: 5 };

export function rulesOf(base: string): ContractRules {
  return RULES[base] ?? DEFAULT_RULES;
}

/** Why a size breaks the listing's rules, in Bitget's words; null when it is fine. */
export function sizeProblem(size: string, base: string, now: number): VenueReply | null {
  const rules = rulesOf(base);
  const value = Number(size);
  if (size.trim() === "" || !Number.isFinite(value) || value <= 0) return fail("40808", `Parameter verification exception size checkBDScale error value=${size} checkScale=${rules.volumePlace}`, now);
  const decimals = size.includes(".") ? (size.split(".")[1] ?? "").replace(/0+$/, "").length : 0;
  const steps = value / rules.sizeMultiplier;
  if (decimals > rules.volumePlace || Math.abs(steps - Math.round(steps)) > 1e-9) {
    return fail("40808", `Parameter verification exception size checkBDScale error value=${size} checkScale=${rules.volumePlace}`, now);
  }
  if (value < rules.sizeMultiplier - 1e-12) return fail("45111", "less than the minimum order quantity", now);
  return null;
}
