import { parseArgs } from "node:util";
import { isVenueId, VENUE_IDS, type VenueId } from "../../exchange/venues/registry";
import type { HistoryKind } from "./history-store";
import { VENUE_KINDS, type VenueKind } from "./venue-import";

/**
 * The arguments of `npm run data:import`, checked before anything is opened: a mistake gets one
 * line naming it followed by the usage, and exit code 2.
 */
export const USAGE =
  `Usage: npm run data:import -- --venue <${VENUE_IDS.join("|")}> --symbol <BASE/USDT:USDT> --kind <funding|perp|spot|oi>[,…] [--since <YYYY-MM-DD|epoch ms>] [--max-pages <n>]` +
  "  |  --from-shared [--symbol <BASE/USDT:USDT>] [--venue <venue>] [--kind <funding|perp|spot|book>[,…]] [--shared-dir <dir>]";

const SHARED_KINDS: readonly HistoryKind[] = ["funding", "perp", "spot", "book"];

export type ImportCommand =
  | { readonly mode: "venue"; readonly venue: VenueId; readonly symbol: string; readonly kinds: readonly VenueKind[]; readonly sinceMs: number | null; readonly maxPages: number | null }
  | { readonly mode: "shared"; readonly symbol: string | null; readonly venue: string | null; readonly kinds: readonly HistoryKind[] | null; readonly dir: string | null };

export class UsageError extends Error {
  constructor(problem: string) {
    super(`data:import: ${problem}`);
    this.name = "UsageError";
  }
}

const UNIFIED_PERP = /^[A-Z0-9]+\/[A-Z0-9]+:[A-Z0-9]+$/;

function parseSymbol(raw: string): string {
  if (!UNIFIED_PERP.test(raw)) throw new UsageError(`--symbol "${raw}" is not a ccxt unified perp symbol like SOL/USDT:USDT.`);
  return raw;
}

function parseKinds<K extends string>(raw: string, allowed: readonly K[]): K[] {
  const kinds = raw.split(",").map((k) => k.trim());
  const bad = kinds.find((k) => !(allowed as readonly string[]).includes(k));
  if (bad !== undefined) throw new UsageError(`--kind "${bad}" is not one of ${allowed.join(", ")}.`);
  return [...new Set(kinds)] as K[];
}

/** "2024-01-01", "2024-01-01T08:00:00Z" or epoch milliseconds, as UTC. */
function parseSince(raw: string): number {
  const ms = /^\d{10,}$/.test(raw) ? Number(raw) : Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(raw) ? `${raw}T00:00:00Z` : raw);
  if (!Number.isFinite(ms)) throw new UsageError(`--since "${raw}" is not a date (YYYY-MM-DD, ISO-8601 or epoch ms).`);
  return ms;
}

export function parseImportArgs(argv: readonly string[]): ImportCommand {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        venue: { type: "string" }, symbol: { type: "string" }, kind: { type: "string" }, since: { type: "string" },
        "max-pages": { type: "string" }, "from-shared": { type: "boolean" }, "shared-dir": { type: "string" },
      },
    }));
  } catch (error) {
    // node's own message names the option ("Unknown option '--x'"); its advice line is dropped.
    throw new UsageError((error instanceof Error ? error.message : String(error)).split(". ")[0] ?? "bad arguments");
  }
  const symbol = values.symbol === undefined ? null : parseSymbol(values.symbol);

  if (values["from-shared"] === true) {
    if (values.since !== undefined) throw new UsageError("--since does not apply to --from-shared (whole files are imported; rows already stored are skipped).");
    if (values["max-pages"] !== undefined) throw new UsageError("--max-pages does not apply to --from-shared.");
    return {
      mode: "shared", symbol, venue: values.venue ?? null,
      kinds: values.kind === undefined ? null : parseKinds(values.kind, SHARED_KINDS), dir: values["shared-dir"] ?? null,
    };
  }

  if (values["shared-dir"] !== undefined) throw new UsageError("--shared-dir needs --from-shared.");
  if (values.venue === undefined) throw new UsageError("--venue is missing (or use --from-shared).");
  const venue = values.venue;
  // The registry loads no ccxt code, so --from-shared and usage errors stay fast.
  if (!isVenueId(venue)) throw new UsageError(`--venue "${venue}" is not one of ${VENUE_IDS.join(", ")}.`);
  if (symbol === null) throw new UsageError("--symbol is missing.");
  if (values.kind === undefined) throw new UsageError("--kind is missing.");
  const kinds = parseKinds(values.kind, VENUE_KINDS);
  let maxPages: number | null = null;
  if (values["max-pages"] !== undefined) {
    maxPages = Number(values["max-pages"]);
    if (!Number.isInteger(maxPages) || maxPages < 1) throw new UsageError(`--max-pages "${values["max-pages"]}" is not a whole number of pages above 0.`);
  }
  return { mode: "venue", venue, symbol, kinds, sinceMs: values.since === undefined ? null : parseSince(values.since), maxPages };
}
