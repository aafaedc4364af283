import { volatilityRegime } from "../core/risk/volatility-regime";
import type { App } from "./context";
import { UserError } from "./context";
import { newProposalId } from "./compute-signals";
import { loadMarketView } from "./market-view";
import { proposeTrade } from "./propose-trade";
import { chooseSymbol } from "./symbol-choice";
import { wellFormed } from "../store/audit";

/**
 * External signals (a TradingView alert, another bot) posted to the web process's inbound webhook.
 * They get no shortcut: each is journaled as a Signal row like the engine's (source named in the
 * explanation, no stream scores, so calibration learns nothing from it) and proposed through
 * `proposeTrade`, the engine's own path — the pause and drawdown gate, one trade per symbol,
 * sizing, the venue's minimums and auto-execute per profile all apply.
 */
export interface InboundAlert {
  readonly symbol: string;
  readonly side: "long" | "short";
  readonly horizonHours: number;
  readonly note: string;
}

export type AlertParse = { readonly ok: true; readonly alert: InboundAlert } | { readonly ok: false; readonly error: string };

/** The model version journaled with every external signal: /signals shows it, calibration sees no streams. */
export const EXTERNAL_MODEL_VERSION = "external-webhook";
const NOTE_MAX = 200;
const SIDES: Record<string, "long" | "short"> = { long: "long", buy: "long", short: "short", sell: "short" };

/** Reads an alert's fields (the secret is the HTTP layer's business); every refusal names the field. */
export function parseInboundAlert(app: App, body: unknown): AlertParse {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { ok: false, error: "the body must be a JSON object like {\"symbol\":\"MNTUSDT\",\"side\":\"long\"}." };
  const fields = body as Record<string, unknown>;
  if (typeof fields.symbol !== "string" || fields.symbol.trim() === "") return { ok: false, error: "symbol is missing: give one of " + app.settings.symbols.join(", ") + " (or its exchange form, e.g. MNTUSDT)." };
  const symbol = resolveSymbol(app, fields.symbol);
  if (symbol === null) return { ok: false, error: `symbol "${printable(fields.symbol, 30)}" is not watched by this bot: use one of ${app.settings.symbols.join(", ")}.` };
  const side = typeof fields.side === "string" ? SIDES[fields.side.trim().toLowerCase()] : undefined;
  if (side === undefined) return { ok: false, error: "side must be long, short, buy or sell." };
  const defaultHorizon = app.settings.engine.ensemble.horizonHours;
  const rawHorizon = fields.horizonHours ?? defaultHorizon;
  const horizonHours = typeof rawHorizon === "string" && rawHorizon.trim() !== "" ? Number(rawHorizon) : rawHorizon;
  if (typeof horizonHours !== "number" || !Number.isFinite(horizonHours) || horizonHours < 4 || horizonHours > 12) {
    return { ok: false, error: `horizonHours must be a number of hours from 4 to 12 (default ${defaultHorizon}).` };
  }
  if (fields.note !== undefined && fields.note !== null && typeof fields.note !== "string") return { ok: false, error: "note must be text." };
  const note = printable(typeof fields.note === "string" ? fields.note : "", NOTE_MAX) || "no note";
  return { ok: true, alert: { symbol, side, horizonHours, note } };
}

/**
 * The configured symbol an alert means: the ccxt form ("MNT/USDT:USDT"), the exchange id
 * ("MNTUSDT", "MNT-USDT-SWAP"), TradingView's ticker ("BYBIT:MNTUSDT.P") or the base coin.
 */
export function resolveSymbol(app: App, raw: string): string | null {
  let typed = raw.trim();
  if (!typed.includes("/")) typed = typed.replace(/^[A-Za-z0-9_]+:/, "").replace(/\.P$/i, "").replace(/[-_](SWAP|UMCBL|PERP)$/i, "");
  if (typed === "" || typed.length > 40) return null;
  try {
    return chooseSymbol(app, typed);
  } catch (error) {
    if (error instanceof UserError) return null;
    throw error;
  }
}

export interface InboundResult {
  readonly signalId: number;
  readonly proposalId: string | null;
  /** Why no proposal was made (paused, the symbol busy, no fresh price…), in plain words. */
  readonly skipped: string | null;
}

/** Journals the alert as a fired signal and proposes it under the engine's rules. */
export async function submitInboundSignal(app: App, alert: InboundAlert): Promise<InboundResult> {
  const now = app.clock();
  const view = await loadMarketView(app, alert.symbol, now);
  const venueView = view.venues.find((v) => v.venue === app.settings.tradingVenue) ?? null;
  // The regime caps leverage as for the engine's signals; too few candles read "high", the safe side.
  const regime = volatilityRegime(venueView?.perpCandles ?? [], now);
  const signal = await app.db.signal.create({
    data: {
      symbol: alert.symbol, venue: app.settings.tradingVenue, ts: new Date(now), direction: alert.side, fired: true,
      score: alert.side === "long" ? 1 : -1, confidence: 0, horizonHours: alert.horizonHours,
      explanation: `external webhook: ${alert.note}\n${regime.summary}`, streamsJson: "[]", modelVersion: EXTERNAL_MODEL_VERSION, crossConfirmed: false,
    },
    select: { id: true },
  });
  const result = await proposeTrade(app, {
    id: newProposalId(), symbol: alert.symbol, side: alert.side, horizonHours: alert.horizonHours, signalId: signal.id, now, regime: regime.regime, venueView,
  });
  return { signalId: signal.id, proposalId: result.proposalId, skipped: result.skipped };
}

/**
 * One audit row per call, accepted or refused: the caller is the source address (the webhook has
 * no chat user), never the secret or the raw body.
 */
export async function auditInboundCall(app: App, entry: { source: string; outcome: "ok" | "refused" | "error"; target?: string; detail: string }): Promise<void> {
  await app.db.auditLog.create({
    data: {
      ts: new Date(app.clock()), platform: "webhook", userId: printable(entry.source, 64), displayName: "signal webhook", action: "signal-webhook",
      target: entry.target ?? null, outcome: entry.outcome, detail: printable(entry.detail, 500),
    },
  });
}

/**
 * Control characters out, length capped: a note and a refused symbol end up in chat cards and the
 * audit. Lone UTF-16 surrogates (JSON may spell one as "\ud800", a cap may cut an emoji in half)
 * become U+FFFD: the database driver refuses a row holding one.
 */
function printable(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const cut = text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim().slice(0, max);
  return wellFormed(cut);
}
