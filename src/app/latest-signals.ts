import type { App } from "./context";

export interface LatestSignal {
  readonly symbol: string;
  /** null: no signal stored for this symbol yet. */
  readonly signal: {
    readonly id: number;
    readonly direction: string;
    readonly fired: boolean;
    readonly score: number;
    readonly confidence: number;
    readonly horizonHours: number;
    readonly ts: number;
    readonly ageMs: number;
    /** Older than the data-age limit: the signal job has not run since (or had no data). */
    readonly old: boolean;
    readonly crossConfirmed: boolean;
    readonly modelVersion: string;
    readonly explanation: string;
  } | null;
}

/** The latest journaled signal (fired or not) of each symbol, or of the one given, at or before `now`. */
export async function latestSignals(app: App, now: number, symbols: readonly string[] = app.settings.symbols): Promise<LatestSignal[]> {
  return Promise.all(symbols.map(async (symbol): Promise<LatestSignal> => {
    const row = await app.db.signal.findFirst({ where: { symbol, ts: { lte: new Date(now) } }, orderBy: [{ ts: "desc" }, { id: "desc" }] });
    if (row === null) return { symbol, signal: null };
    const ts = row.ts.getTime();
    return {
      symbol,
      signal: {
        id: row.id, direction: row.direction, fired: row.fired, score: row.score, confidence: row.confidence, horizonHours: row.horizonHours,
        ts, ageMs: now - ts, old: now - ts > app.settings.marketData.maxDataAgeMs, crossConfirmed: row.crossConfirmed,
        modelVersion: row.modelVersion, explanation: row.explanation,
      },
    };
  }));
}
