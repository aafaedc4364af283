import { latestSignals, type LatestSignal } from "../src/app/latest-signals";
import { chooseSymbol } from "../src/app/symbol-choice";
import { round } from "../src/core/stats";
import { duration, fitLines } from "../src/chat/render/desk-format";
import type { Command } from "./command";

function headline(entry: LatestSignal): string {
  const s = entry.signal;
  if (s === null) return `${entry.symbol}: no signal yet (the first comes after the first market poll).`;
  const verdict = s.fired ? `${s.direction.toUpperCase()} fired` : "no trade (neutral)";
  const cross = s.crossConfirmed ? "confirmed across exchanges" : "not confirmed across exchanges";
  const age = `${duration(s.ageMs)} ago${s.old ? " — OLD: no newer signal, check /status" : ""}`;
  return `${entry.symbol}: ${verdict}, score ${round(s.score, 3)}, confidence ${round(s.confidence, 3)}, ${cross}, ${s.horizonHours}h horizon; ${age}`;
}

export const signalsCommand: Command = {
  name: "signals",
  description: "The latest signal per symbol; with a symbol, also its explanation",
  args: [{ name: "symbol", description: "One symbol, e.g. MNT (default: every watched symbol)", required: false }],
  usage: "/signals [symbol], e.g. /signals or /signals MNT",
  role: "viewer",
  async run(app, args) {
    const raw = args[0]?.trim() ?? "";
    const one = raw === "" ? null : chooseSymbol(app, raw);
    const entries = await latestSignals(app, app.clock(), one === null ? app.settings.symbols : [one]);
    if (one === null) {
      return { text: fitLines(["Latest signal per symbol (score from -1 short to +1 long):", ...entries.map(headline), "Send /signals <symbol> for the reasons."]) };
    }
    const entry = entries[0];
    const lines = entry === undefined ? [] : [headline(entry), ...(entry.signal === null ? [] : ["", ...entry.signal.explanation.split("\n"), `Model: ${entry.signal.modelVersion}`])];
    return { text: fitLines(lines) };
  },
};
