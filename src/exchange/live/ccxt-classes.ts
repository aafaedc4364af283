import type * as Ccxt from "ccxt";
import { venueDescriptor } from "../venues/registry";

/**
 * The ccxt classes of the four venues perpbot trades on, loaded once when the live side is
 * imported (main.ts imports it only in live mode), so the client factory and the dialects'
 * `instanceof` checks stay synchronous. Four venue files, not the whole of ccxt (see ccxt-loader.ts).
 */
const [bybitClass, binanceusdmClass, okxClass, bitgetClass] = await Promise.all(
  (["bybit", "binanceusdm", "okx", "bitget"] as const).map((id) => venueDescriptor(id).loadClass()),
);

export const bybit = bybitClass as unknown as typeof Ccxt.bybit;
export const binanceusdm = binanceusdmClass as unknown as typeof Ccxt.binanceusdm;
export const okx = okxClass as unknown as typeof Ccxt.okx;
export const bitget = bitgetClass as unknown as typeof Ccxt.bitget;
