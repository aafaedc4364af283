import Decimal from "decimal.js";
import { DateTime } from "luxon";
import { duration, fitLines, signedPercent } from "../chat/render/desk-format";
import { formatPrice, formatQuantity, formatUsd } from "../chat/render/proposal-card";
import { dueDigest, nextSlotAfter, type DigestSchedule, type DigestSlot } from "../core/digest-slots";
import { utcWeekdayDayMonthTime } from "../core/grouped-number";
import { round } from "../core/stats";
import { tradingGate, type AccountState } from "../core/trading/account";
import { intentId } from "../core/trading/intents";
import type { Closed } from "../core/trading/types";
import { writeIntents } from "../store/outbox";
import { loadTrades } from "../store/trade-repo";
import type { App } from "./context";
import { fundingOverview } from "./funding-overview";
import { latestSignals, type LatestSignal } from "./latest-signals";
import { readVenueHealth, STREAM_LABEL, STREAMS } from "./market-health";
import { portfolio } from "./portfolio";
import { positionList, type PositionRow } from "./position-list";
import { readAccount } from "./trading-state";
import { readCooldowns } from "./venue-cooldown";

/**
 * The digest: at each configured local time, one message saying what happened since the previous
 * slot and where things stand. It reports on the period (previous slot, this slot] — fixed by the
 * slots, not by when the job ran — so consecutive digests tile time and a trade's result is
 * counted in exactly one of them, even when one runs late. The slot's key (its zone-local date,
 * time and zone) is the outbox key, so however often the job fires for a slot, one message goes.
 */
export type DigestOutcome =
  | { readonly status: "sent"; readonly slot: DigestSlot; readonly intentId: string }
  | { readonly status: "already-sent"; readonly slot: DigestSlot; readonly intentId: string }
  | { readonly status: "too-late"; readonly slot: DigestSlot; readonly lateMs: number };

/** A digest later than this says it is late. */
const LATE_NOTE_MS = 5 * 60_000;
/** Per list (positions, signals, funding), this many lines, then a count and the command that shows all. */
const LIST_SHOWN = 10;
/** Per venue, this many data problems are named, then counted. */
const PROBLEMS_SHOWN = 3;

/** Writes and dispatches the digest of the slot due at `now`, once; null when no digest is configured. */
export async function sendDueDigest(app: App, now = app.clock()): Promise<DigestOutcome | null> {
  const schedule = app.settings.digest;
  if (schedule === undefined || schedule.times.length === 0) return null;
  const decision = dueDigest(schedule, now);
  if (decision.kind === "too-late") {
    app.logger.info({ slot: decision.slot.key, lateMs: decision.lateMs }, "digest skipped: its time passed hours ago (the worker was not running); the next one comes at its time");
    return { status: "too-late", slot: decision.slot, lateMs: decision.lateMs };
  }
  const key = decision.slot.key;
  const id = intentId({ kind: "text", key, text: "" });
  if (await app.db.intent.findUnique({ where: { id }, select: { id: true } })) return { status: "already-sent", slot: decision.slot, intentId: id };
  const text = await digestText(app, schedule, { slot: decision.slot, previous: decision.previous, lateMs: decision.lateMs }, now);
  // Two workers racing for one slot write one row (the id is the key) and queue one job (job id = intent id).
  const ids = await writeIntents(app.db, [{ kind: "text", key, text, event: "digest" }], now);
  await app.dispatch(ids);
  return { status: "sent", slot: decision.slot, intentId: id };
}

interface DigestPeriod {
  readonly slot: DigestSlot;
  readonly previous: DigestSlot;
  readonly lateMs: number;
}

/** The digest's text, every time shown in the digest's zone, within Telegram's 4,096 characters. */
export async function digestText(app: App, schedule: DigestSchedule, period: DigestPeriod, now: number): Promise<string> {
  const { slot, previous } = period;
  const at = (ts: number): string => localTime(ts, schedule.zone, slot.ts);
  const [closed, account, book, positions, signals, funding, problems, undelivered] = await Promise.all([
    closedBetween(app, previous.ts, slot.ts), readAccount(app), portfolio(app, now), positionList(app, now), latestSignals(app, now),
    Promise.all(app.settings.symbols.map((symbol) => fundingOverview(app, symbol, now))), dataProblems(app, now, at), undeliveredSince(app, previous.ts, now),
  ]);
  const gate = tradingGate(account, now);
  const drawdown = account.peakEquity > 0 ? Math.max(0, (account.peakEquity - book.equity.toNumber()) / account.peakEquity) : 0;
  const lines = [
    `📋 Digest for ${fullLocalTime(slot.ts, schedule.zone)} (${schedule.zone}), ${app.broker.mode.toUpperCase()} trading`,
    ...(period.lateMs > LATE_NOTE_MS ? [`Sent ${duration(period.lateMs)} late: the worker was not running at ${at(slot.ts)}.`] : []),
    closedLine(closed, at(previous.ts)),
    pauseLine(account, gate.open, at),
    `Equity ${formatUsd(book.equity)}, ${round(drawdown * 100, 2)}% below its peak of ${formatUsd(account.peakEquity)}${account.sizeHalved ? "; position size is HALVED by the drawdown rule" : ""}.`,
    // What needs a person comes before the long per-symbol lists, so a cut never drops it.
    ...(undelivered === 0 ? [] : [`⚠️ ${undelivered === 1 ? "1 alert" : `${undelivered} alerts`} since ${at(previous.ts)} could not be delivered after every retry (the log has details).`]),
    ...(problems.length === 0 ? ["Market data: no problems."] : ["Market data problems:", ...problems]),
    ...(positions.length === 0 ? ["Open positions: none."] : [
      `Open positions (${positions.length}), unrealised net of fees and funding so far:`, ...capped(positions.map(positionLine), "/positions"),
    ]),
    "Latest signal per symbol:", ...capped(signals.map((s) => signalLine(s, at)), "/signals"),
    "Next funding:", ...capped(funding.map((f) => fundingLine(f, now, at)), "/funding"),
    `Next digest: ${at(nextSlotAfter(schedule, slot.ts).ts)}.`,
  ];
  return fitLines(lines);
}

/** A list of at most LIST_SHOWN lines, then where to read the rest: one message must hold every section. */
function capped(lines: readonly string[], command: string): string[] {
  if (lines.length <= LIST_SHOWN) return [...lines];
  return [...lines.slice(0, LIST_SHOWN), `  … and ${lines.length - LIST_SHOWN} more: ${command}`];
}

const fullLocalTime = (ts: number, zone: string): string => DateTime.fromMillis(ts, { zone, locale: "en-US" }).toFormat("ccc d LLL HH:mm");

/** "16:00" on the reference's local day, "Mon 30 Mar 16:00" on another. */
function localTime(ts: number, zone: string, reference: number): string {
  // UTC (the default) without luxon, whose first date costs about 11 MB of ICU data (digest-slots.ts).
  if (zone === "UTC") {
    const iso = new Date(ts).toISOString();
    return iso.slice(0, 10) === new Date(reference).toISOString().slice(0, 10) ? iso.slice(11, 16) : utcWeekdayDayMonthTime(ts);
  }
  const sameDay = DateTime.fromMillis(ts, { zone }).hasSame(DateTime.fromMillis(reference, { zone }), "day");
  return sameDay ? DateTime.fromMillis(ts, { zone }).toFormat("HH:mm") : fullLocalTime(ts, zone);
}

/** The gate's own words carry UTC stamps; the digest says the same in its zone. */
function pauseLine(account: AccountState, open: boolean, at: (ts: number) => string): string {
  if (open) return "Trading is ACTIVE: new signals become proposals.";
  const manual = account.manualPause;
  if (manual !== null) {
    return `Trading is PAUSED by ${manual.by} since ${at(manual.at)} (${manual.reason}); ${manual.requiresAdmin ? "an admin must send /resume" : "/resume lifts it"}.`;
  }
  return `Trading is PAUSED by the drawdown rule until ${at(account.pausedUntil ?? 0)} while the model is reviewed; it resumes on its own.`;
}

const signedUsd = (x: Decimal): string => `${x.gt(0) ? "+" : ""}${formatUsd(x)}`;

/** The trades closed in (from, to]: each closes in exactly one digest's period. */
async function closedBetween(app: App, from: number, to: number): Promise<Closed[]> {
  return (await loadTrades(app.db, ["closed"])).map((t) => t.state as Closed).filter((t) => t.closedAt > from && t.closedAt <= to);
}

function closedLine(closed: readonly Closed[], since: string): string {
  if (closed.length === 0) return `Since ${since}: no trades closed.`;
  const sum = (pick: (t: Closed) => Decimal): Decimal => closed.reduce((total, t) => total.plus(pick(t)), new Decimal(0));
  const realized = sum((t) => t.realizedPnl);
  const fees = sum((t) => t.position.fees);
  const funding = sum((t) => t.position.funding);
  const won = closed.filter((t) => t.realizedPnl.gt(0)).length;
  const count = closed.length === 1 ? "1 trade" : `${closed.length} trades`;
  const inside = funding.isZero() ? `the fees of ${formatUsd(fees)} are` : `the fees of ${formatUsd(fees)} and the funding ${funding.gt(0) ? "received" : "paid"} of ${formatUsd(funding.abs())} are`;
  return `Since ${since}: ${count} closed (${won} won, ${closed.length - won} lost), realised ${signedUsd(realized)} net — ${inside} already in that figure.`;
}

function positionLine(row: PositionRow): string {
  const flags = [row.status === "closing" ? "CLOSING, exit order working" : "", row.markStale ? "mark STALE" : ""].filter((f) => f !== "");
  return `  ${row.id} ${row.symbol} ${row.side.toUpperCase()} ${formatQuantity(row.quantity, row.symbol)} on ${row.venue}: ` +
    `entry ${formatPrice(row.entryPrice)}, mark ${formatPrice(row.markPrice)}, stop ${formatPrice(row.stopPrice)}, unrealised ${signedUsd(row.unrealizedPnl)}` +
    (flags.length > 0 ? ` (${flags.join("; ")})` : "");
}

function signalLine(entry: LatestSignal, at: (ts: number) => string): string {
  const s = entry.signal;
  if (s === null) return `  ${entry.symbol}: no signal yet.`;
  const verdict = s.fired ? `${s.direction.toUpperCase()} fired` : "no trade (neutral)";
  return `  ${entry.symbol}: ${verdict}, score ${round(s.score, 3)}, at ${at(s.ts)}${s.old ? " — OLD: no newer signal, check /status" : ""}.`;
}

function fundingLine(overview: Awaited<ReturnType<typeof fundingOverview>>, now: number, at: (ts: number) => string): string {
  if (overview.venues.length === 0) return `  ${overview.symbol}: no funding data.`;
  const venues = overview.venues.map((v) => {
    const next = v.nextFundingTs !== null && v.nextFundingTs > now ? at(v.nextFundingTs) : "time not reported";
    return `${v.venue} ${next} (${signedPercent(v.rate)} per ${v.intervalHours}h${v.stale ? ", STALE" : ""})`;
  });
  return `  ${overview.symbol}: ${venues.join(", ")}.`;
}

/** Per venue with something wrong, one line: cooling down, not polled (lately), required or optional data missing. */
async function dataProblems(app: App, now: number, at: (ts: number) => string): Promise<string[]> {
  const { venues, symbols } = app.settings;
  const [health, cooldowns] = await Promise.all([readVenueHealth(app, venues), readCooldowns(app, venues)]);
  const lines: string[] = [];
  for (const venue of venues) {
    const problems: string[] = [];
    const cooling = cooldowns.get(venue);
    if (cooling !== undefined && cooling.until > now) problems.push(`${cooling.kind === "banned" ? "banned" : "paused"} by the venue, not polled until ${at(cooling.until)}`);
    const record = health.get(venue);
    if (record === undefined) problems.push("never polled");
    else {
      if (now - record.ts > app.settings.marketData.maxDataAgeMs) problems.push(`last polled ${duration(now - record.ts)} ago`);
      for (const symbol of symbols) {
        const h = record.symbols[symbol];
        // A symbol the venue does not list is a fact of the configuration, told at start, not a problem.
        if (h === undefined || h.status === "unlisted") continue;
        if (h.status === "failed") problems.push(`nothing for ${symbol} (${h.reason})`);
        else for (const stream of STREAMS) {
          const s = h.streams[stream];
          if (s !== undefined && "missing" in s) problems.push(`no ${STREAM_LABEL[stream]} for ${symbol} (${s.missing})`);
        }
      }
    }
    if (problems.length === 0) continue;
    const more = problems.length > PROBLEMS_SHOWN ? ` and ${problems.length - PROBLEMS_SHOWN} more (see /status)` : "";
    lines.push(`  ${venue}: ${problems.slice(0, PROBLEMS_SHOWN).join("; ")}${more}`);
  }
  return lines;
}

/** Alerts (texts and cards) whose delivery was given up after every retry since `from`: failed notify intents. */
function undeliveredSince(app: App, from: number, now: number): Promise<number> {
  return app.db.intent.count({ where: { status: "failed", kind: { in: ["text", "card"] }, doneAt: { gt: new Date(from), lte: new Date(now) } } });
}
