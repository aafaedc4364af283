import { fundingOverview, type FundingOverview, type PositionFunding } from "../src/app/funding-overview";
import { chooseSymbol } from "../src/app/symbol-choice";
import { round } from "../src/core/stats";
import { duration, fitLines, percent, signedPercent, utcTime } from "../src/chat/render/desk-format";
import { formatQuantity } from "../src/chat/render/proposal-card";
import type { Command } from "./command";

function nextTime(ts: number | null, now: number): string {
  if (ts === null) return "next time not reported";
  if (ts <= now) return `next time unknown (the reported ${utcTime(ts, now)} has passed)`;
  return `next ${utcTime(ts, now)} (in ${duration(ts - now)})`;
}

/** What a position pays or receives, with the sign said in words. */
function positionLine(p: PositionFunding, symbol: string, now: number): string {
  const head = `  ${p.id} ${p.side.toUpperCase()} ${formatQuantity(p.quantity, symbol)} on ${p.venue}`;
  if (p.amount === null || p.rate === null) return `${head}: no funding rate from ${p.venue}, so no estimate.`;
  const when = p.nextFundingTs !== null && p.nextFundingTs > now ? `at ${utcTime(p.nextFundingTs, now)} (in ${duration(p.nextFundingTs - now)})` : "at the next settlement";
  const payer = p.rate > 0 ? "the rate is positive: longs pay shorts" : p.rate < 0 ? "the rate is negative: shorts pay longs" : "the rate is zero: nobody pays";
  const verb = p.amount > 0 ? "receives" : p.amount < 0 ? "pays" : "pays nothing";
  const amount = p.amount === 0 ? "" : ` about ${round(Math.abs(p.amount), 2)} USDT`;
  return `${head}: ${verb}${amount} ${when} — ${payer}, so this ${p.side} ${verb === "pays nothing" ? "neither pays nor receives" : verb}${p.stale ? " (estimate from STALE data)" : ""}.`;
}

export function fundingLines(o: FundingOverview, now: number): string[] {
  const lines = [`${o.symbol} funding (positive: longs pay shorts):`];
  for (const v of o.venues) {
    const footing = v.intervalHours === 8 ? "" : ` (= ${signedPercent(v.rate8h)} per 8h)`;
    lines.push(`  ${v.venue}: ${signedPercent(v.rate)} per ${v.intervalHours}h${footing}, ${nextTime(v.nextFundingTs, now)}${v.stale ? ` — STALE, ${duration(v.ageMs)} old, not used` : ""}`);
  }
  for (const venue of o.missing) lines.push(`  ${venue}: no funding data`);
  lines.push(o.largestSpread === null
    ? "Widest spread: needs fresh rates from two venues."
    : `Widest spread (8h footing, fresh venues): ${o.largestSpread.high} minus ${o.largestSpread.low} = ${percent(o.largestSpread.spread8h)}`);
  if (o.positions.length === 0) lines.push(`No open positions on ${o.symbol}.`);
  else lines.push("Open positions at the next settlement (today's rate and mark):", ...o.positions.map((p) => positionLine(p, o.symbol, now)));
  return lines;
}

export const fundingCommand: Command = {
  name: "funding",
  description: "Funding per venue, next times, widest spread, and what open positions will pay or receive",
  args: [{ name: "symbol", description: "One symbol, e.g. MNT (default: every watched symbol)", required: false }],
  usage: "/funding [symbol], e.g. /funding or /funding MNT",
  role: "viewer",
  async run(app, args) {
    const now = app.clock();
    const raw = args[0]?.trim() ?? "";
    const symbols = raw === "" ? app.settings.symbols : [chooseSymbol(app, raw)];
    const overviews = await Promise.all(symbols.map((symbol) => fundingOverview(app, symbol, now)));
    return { text: fitLines(overviews.flatMap((o, i) => [...(i > 0 ? [""] : []), ...fundingLines(o, now)])) };
  },
};
