import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Exchange } from "ccxt";

/**
 * Loads ccxt piece by piece. `import "ccxt"` evaluates every one of its ~110 exchange classes
 * (about 100 MB resident); perpbot needs four. ccxt's package.json exports only ".", so a bare
 * "ccxt/js/src/bybit.js" is refused; the same files imported by absolute file URL are not. The
 * error classes are in ccxt-error-classes.ts.
 *
 * Nothing else in src/ may import ccxt at runtime (type-only imports are fine).
 */

/** The ccxt package directory: "." resolves (for require) to <package>/dist/ccxt.cjs. */
const CCXT_ROOT = dirname(dirname(createRequire(import.meta.url).resolve("ccxt")));

/** A file of ccxt's ESM build (under <package>/js/), as a URL import() accepts. */
export const ccxtFileUrl = (relative: string): string => pathToFileURL(join(CCXT_ROOT, "js", relative)).href;

/** A ccxt exchange class: `new (cls)({ enableRateLimit, timeout, options, apiKey, … })`. */
export type CcxtExchangeClass = new (config?: Record<string, unknown>) => Exchange;

const classes = new Map<string, Promise<CcxtExchangeClass>>();

/** The exchange class of one ccxt id (e.g. "bybit"), evaluated once per process on first use. */
export function loadExchangeClass(ccxtId: string): Promise<CcxtExchangeClass> {
  if (!/^[a-z0-9]+$/.test(ccxtId)) return Promise.reject(new Error(`"${ccxtId}" is not a ccxt exchange id`));
  let loading = classes.get(ccxtId);
  if (loading === undefined) {
    loading = import(ccxtFileUrl(`src/${ccxtId}.js`)).then((module: { default?: unknown }) => {
      if (typeof module.default !== "function") throw new Error(`ccxt has no exchange class "${ccxtId}"`);
      return module.default as CcxtExchangeClass;
    });
    loading.catch(() => classes.delete(ccxtId)); // a failed load may be retried
    classes.set(ccxtId, loading);
  }
  return loading;
}
