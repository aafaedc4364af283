import type { SymbolState, VenueReply } from "./exchange-venue-formats";
import type { PrivateContext } from "./private-wire";
import { fail, isProductType } from "./public-bitget-rules";

/** One authenticated Bitget v2 call, its parameters already read (the query of a GET, the JSON body of a POST). */
export interface BitgetRequest {
  readonly params: Readonly<Record<string, unknown>>;
  readonly context: PrivateContext;
}

export type BitgetEndpoint = (request: BitgetRequest) => VenueReply;

/** A parameter as the string Bitget reads it (numbers accepted, as its JSON parser does); undefined when absent or empty. */
export function text(params: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const value = params[key];
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** The listed market for a v2 symbol ("BTCUSDT", any case). */
export function findSymbol(context: PrivateContext, id: string): SymbolState | undefined {
  return context.symbols.find((s) => `${s.base}${s.quote}` === id.toUpperCase());
}

/** productType must be given and be USDT-FUTURES (the only product the stand-in trades); null when it is. */
export function productTypeProblem(request: BitgetRequest): VenueReply | null {
  const productType = text(request.params, "productType");
  if (productType === undefined) return fail("40019", "Parameter productType cannot be empty", request.context.now);
  return isProductType(productType) ? null : fail("40020", "Parameter productType error", request.context.now);
}

/** The symbol a call names: undefined when none was given, null when it is not listed. */
export function symbolParam(request: BitgetRequest): SymbolState | null | undefined {
  const id = text(request.params, "symbol");
  if (id === undefined) return undefined;
  return findSymbol(request.context, id) ?? null;
}

export const unknownSymbol = (request: BitgetRequest): VenueReply =>
  fail("40034", `Parameter ${text(request.params, "symbol") ?? ""} does not exist`, request.context.now);

/**
 * The list endpoints' common filters: startTime/endTime on the creation time, newest first, at
 * most `limit` (default and maximum 100). Bitget's lists also take idLessThan for older pages.
 */
export function page<T>(request: BitgetRequest, rows: readonly T[], timeOf: (row: T) => number, idOf: (row: T) => string): { rows: T[]; endId: string | null } {
  const start = Number(text(request.params, "startTime") ?? 0);
  const end = Number(text(request.params, "endTime") ?? Number.MAX_SAFE_INTEGER);
  const limit = Math.min(Number(text(request.params, "limit") ?? 100), 100);
  const before = text(request.params, "idLessThan");
  const picked = rows
    .filter((r) => timeOf(r) >= start && timeOf(r) <= end && (before === undefined || BigInt(idOf(r)) < BigInt(before)))
    .sort((a, b) => timeOf(b) - timeOf(a) || Number(BigInt(idOf(b)) - BigInt(idOf(a))))
    .slice(0, limit);
  const last = picked.at(-1);
  return { rows: picked, endId: last === undefined ? null : idOf(last) };
}
