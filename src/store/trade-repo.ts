import Decimal from "decimal.js";
import { intentId, type ExitReason, type Intent } from "../core/trading/intents";
import type { Decision, OrderState, PositionState, ProposalTerms, TradeEvent, TradeState } from "../core/trading/types";
import type { FundingPayment, Order, Position, Proposal } from "./generated/client";
import { insertRows } from "./bulk-insert";
import { writeIntents, type Tx } from "./outbox";

/**
 * The trade lifecycle's states to and from rows. The core's TradeState is the truth of a trade;
 * the rows (Proposal, Order, Fill, Position, FundingPayment) are how it is kept and queried.
 * Money is an exact decimal string in every column.
 */
export interface StoredTrade {
  readonly state: TradeState;
  /** The row version the state was read at; a save is conditional on it. */
  readonly version: number;
}

type ProposalRow = Proposal & { orders: Order[]; position: (Position & { payments: FundingPayment[] }) | null };

const D = (s: string | null | undefined, fallback = "0"): Decimal => new Decimal(s ?? fallback);
const num = (s: string | null | undefined, fallback: number): number => (s === null || s === undefined ? fallback : Number(s));
const money = (d: Decimal): string => d.toString();

export function termsOf(row: Proposal): ProposalTerms {
  const side = row.side === "long" ? "long" : "short";
  const ref = Number(row.refPrice);
  return {
    id: row.id, symbol: row.symbol, venue: row.venue, side, signalId: row.signalId, refPrice: ref,
    quantity: D(row.quantity), notionalUsd: D(row.notionalUsd), marginUsd: D(row.marginUsd), leverage: row.leverage,
    stopPrice: Number(row.stopPrice),
    // Proposals made before take-profit and liquidation estimates existed have neither: never reached.
    takeProfitPrice: num(row.takeProfitPrice, side === "long" ? Number.POSITIVE_INFINITY : 0),
    liquidationPrice: num(row.liquidationPrice, side === "long" ? 0 : Number.POSITIVE_INFINITY),
    expectedFeesUsd: D(row.expectedFeesUsd), expectedFundingUsd: D(row.expectedFundingUsd), horizonHours: row.horizonHours,
    createdAt: row.createdAt.getTime(), expiresAt: row.expiresAt.getTime(), autoExecute: row.autoExecute,
  };
}

function orderOf(row: Order): OrderState {
  return {
    clientOrderId: row.clientOrderId, side: row.side === "buy" ? "buy" : "sell", requestedQty: D(row.requestedQty), filledQty: D(row.filledQty),
    avgPrice: row.avgPrice === null ? null : D(row.avgPrice), fee: D(row.fee), status: row.status as OrderState["status"], lastError: row.lastError,
    exchangeOrderId: row.exchangeOrderId, sentAt: row.sentAt?.getTime() ?? null,
  };
}

function positionOf(row: Position & { payments: FundingPayment[] }, side: "long" | "short"): PositionState {
  return {
    quantity: D(row.quantity), entryPrice: D(row.entryPrice), entryTs: row.entryTs.getTime(), stopPrice: Number(row.stopPrice),
    takeProfitPrice: num(row.takeProfitPrice, side === "long" ? Number.POSITIVE_INFINITY : 0),
    liquidationPrice: num(row.liquidationPrice, side === "long" ? 0 : Number.POSITIVE_INFINITY),
    exitDueTs: row.exitDueTs.getTime(), fees: D(row.feesPaid), funding: D(row.fundingPnl),
    fundingSettlements: row.payments.map((p) => p.ts.getTime()).sort((a, b) => a - b),
  };
}

/** Rebuilds the core state from its rows. Throws on a row the lifecycle cannot describe. */
export function tradeOf(row: ProposalRow): TradeState {
  const terms = termsOf(row);
  const decision: Decision | null = row.decidedBy === null ? null : { by: row.decidedBy, at: row.decidedAt?.getTime() ?? row.createdAt.getTime(), auto: row.autoApproved };
  const entryRow = row.orders.find((o) => o.purpose === "entry");
  const exitRow = row.orders.find((o) => o.purpose === "exit");
  const entry = entryRow ? orderOf(entryRow) : null;
  const need = <T>(value: T | null | undefined, what: string): T => {
    if (value === null || value === undefined) throw new Error(`trade ${row.id} is ${row.status} but has no ${what}`);
    return value;
  };
  const at = row.updatedAt?.getTime() ?? row.decidedAt?.getTime() ?? row.createdAt.getTime();
  switch (row.status) {
    case "pending": return { status: "pending", terms };
    case "approved": return { status: "approved", terms, decision: need(decision, "decision") };
    case "rejected": return { status: "rejected", terms, decision: need(decision, "decision") };
    case "expired": return { status: "expired", terms, at: row.decidedAt?.getTime() ?? terms.expiresAt };
    case "submitting": return { status: "submitting", terms, decision: need(decision, "decision"), entry: need(entry, "entry order") };
    case "unknown": {
      const e = need(entry, "entry order");
      return { status: "unknown", terms, decision: need(decision, "decision"), entry: e, since: entryRow?.updatedAt?.getTime() ?? at, lastError: e.lastError ?? "unknown" };
    }
    case "failed": return { status: "failed", terms, decision, reason: row.note ?? "unknown reason", at, entry };
    default: break;
  }
  const position = positionOf(need(row.position, "position"), terms.side);
  const base = { terms, decision: need(decision, "decision"), entry: need(entry, "entry order"), position };
  if (row.status === "open") return { status: "open", ...base };
  const exit = orderOf(need(exitRow, "exit order"));
  const reason = (row.position?.closeReason ?? "manual") as ExitReason;
  if (row.status === "closing") return { status: "closing", ...base, exit, reason };
  if (row.status === "closed") {
    return { status: "closed", ...base, exit, reason, realizedPnl: D(row.position?.realizedPnl), closedAt: row.position?.exitTs?.getTime() ?? at };
  }
  throw new Error(`trade ${row.id} has a status the lifecycle does not know: ${row.status}`);
}

const INCLUDE = { orders: true, position: { include: { payments: true } } } as const;

export async function loadTrade(tx: Tx, proposalId: string): Promise<StoredTrade | null> {
  const row = await tx.proposal.findUnique({ where: { id: proposalId }, include: INCLUDE });
  return row === null ? null : { state: tradeOf(row), version: row.version };
}

export async function loadTrades(tx: Tx, statuses: readonly TradeState["status"][]): Promise<StoredTrade[]> {
  const rows = await tx.proposal.findMany({ where: { status: { in: [...statuses] } }, include: INCLUDE, orderBy: { createdAt: "asc" } });
  return rows.map((row) => ({ state: tradeOf(row), version: row.version }));
}

/** A new pending proposal and its first intents (the card), in the caller's transaction. */
export async function insertProposal(tx: Tx, terms: ProposalTerms, intents: readonly Intent[], now: number): Promise<string[]> {
  await tx.proposal.create({ data: proposalRow(terms, now) });
  return writeIntents(tx, intents, now, 0);
}

/**
 * Several new proposals, each with its card, in two inserts (a cycle's fired signals). The cards'
 * intent ids come from the new proposals' own ids, so none can exist yet: a plain insert, not the
 * upsert `writeIntents` needs for intents two processes may both write.
 */
export async function insertProposalsWithCards(tx: Tx, all: readonly ProposalTerms[], now: number): Promise<string[][]> {
  if (all.length === 0) return [];
  // Plain statements, not Prisma's createMany, whose query plans are compiled anew every call (bulk-insert.ts).
  await insertRows(tx, "Proposal", all.map((terms) => proposalRow(terms, now)));
  const cards = all.map((terms) => ({ kind: "card" as const, proposalId: terms.id }));
  await insertRows(tx, "Intent", cards.map((intent) => ({ id: intentId(intent, 0), kind: intent.kind, payloadJson: JSON.stringify(intent), status: "pending", createdAt: new Date(now) })));
  return cards.map((intent) => [intentId(intent, 0)]);
}

function proposalRow(terms: ProposalTerms, now: number) {
  return {
    id: terms.id, signalId: terms.signalId, symbol: terms.symbol, venue: terms.venue, side: terms.side, status: "pending", version: 0,
    refPrice: String(terms.refPrice), quantity: money(terms.quantity), notionalUsd: money(terms.notionalUsd), marginUsd: money(terms.marginUsd),
    leverage: terms.leverage, stopPrice: String(terms.stopPrice), takeProfitPrice: String(terms.takeProfitPrice),
    liquidationPrice: String(terms.liquidationPrice), expectedFeesUsd: money(terms.expectedFeesUsd), expectedFundingUsd: money(terms.expectedFundingUsd),
    horizonHours: terms.horizonHours, autoExecute: terms.autoExecute, createdAt: new Date(terms.createdAt), expiresAt: new Date(terms.expiresAt),
    updatedAt: new Date(now),
  };
}

function noteOf(state: TradeState): string | null {
  if (state.status === "failed") return state.reason;
  if (state.status === "unknown") return state.lastError;
  return null;
}

async function saveOrder(tx: Tx, state: TradeState, order: OrderState, purpose: "entry" | "exit", mode: string, now: number): Promise<number> {
  const data = {
    filledQty: money(order.filledQty), avgPrice: order.avgPrice === null ? null : money(order.avgPrice), fee: money(order.fee),
    status: order.status, lastError: order.lastError, updatedAt: new Date(now),
    exchangeOrderId: order.exchangeOrderId, sentAt: order.sentAt === null ? null : new Date(order.sentAt),
  };
  const row = await tx.order.upsert({
    where: { clientOrderId: order.clientOrderId },
    create: {
      clientOrderId: order.clientOrderId, proposalId: state.terms.id, mode, purpose, venue: state.terms.venue, symbol: state.terms.symbol,
      side: order.side, requestedQty: money(order.requestedQty), createdAt: new Date(now), ...data,
    },
    update: data,
  });
  return row.id;
}

async function appendFill(tx: Tx, orderId: number, fill: { qty: Decimal; price: Decimal; fee: Decimal }, now: number): Promise<void> {
  const seq = await tx.fill.count({ where: { orderId } });
  await tx.fill.create({ data: { orderId, seq, ts: new Date(now), price: money(fill.price), quantity: money(fill.qty), fee: money(fill.fee) } });
}

async function savePosition(tx: Tx, state: Extract<TradeState, { position: PositionState }>, mode: string): Promise<number> {
  const p = state.position;
  const closed = state.status === "closed" ? state : null;
  const data = {
    quantity: money(p.quantity), entryPrice: money(p.entryPrice), stopPrice: String(p.stopPrice), takeProfitPrice: String(p.takeProfitPrice),
    liquidationPrice: String(p.liquidationPrice), exitDueTs: new Date(p.exitDueTs), status: state.status, feesPaid: money(p.fees),
    fundingPnl: money(p.funding), closeReason: state.status === "open" ? null : state.reason,
    exitPrice: closed?.exit.avgPrice ? money(closed.exit.avgPrice) : null, exitTs: closed ? new Date(closed.closedAt) : null,
    realizedPnl: closed ? money(closed.realizedPnl) : null,
  };
  const row = await tx.position.upsert({
    where: { proposalId: state.terms.id },
    create: {
      proposalId: state.terms.id, mode, venue: state.terms.venue, symbol: state.terms.symbol, side: state.terms.side, entryTs: new Date(p.entryTs),
      leverage: state.terms.leverage, marginUsd: money(state.terms.marginUsd), ...data,
    },
    update: data,
  });
  return row.id;
}

/**
 * Writes a transition: the new state's rows and its intents, conditional on the version it was
 * read at. Returns the new version and the intent ids, or null when another writer moved the
 * trade first (the caller re-reads and decides again). Run it inside a transaction.
 */
export async function saveTrade(
  tx: Tx, before: StoredTrade, after: TradeState, event: TradeEvent, intents: readonly Intent[], now: number, mode: string,
): Promise<{ version: number; intentIds: string[] } | null> {
  const version = before.version + 1;
  const decision = "decision" in after ? after.decision : null;
  const moved = await tx.proposal.updateMany({
    where: { id: after.terms.id, version: before.version },
    data: {
      status: after.status, version, updatedAt: new Date(now), note: noteOf(after),
      ...(decision ? { decidedBy: decision.by, decidedAt: new Date(decision.at), autoApproved: decision.auto } : {}),
      ...(after.status === "expired" ? { decidedAt: new Date(after.at) } : {}),
    },
  });
  if (moved.count === 0) return null;
  if ("entry" in after && after.entry !== null) {
    const orderId = await saveOrder(tx, after, after.entry, "entry", mode, now);
    if (event.kind === "entry-filled" && event.qty.gt(0)) await appendFill(tx, orderId, event, now);
  }
  if ("exit" in after) {
    const orderId = await saveOrder(tx, after, after.exit, "exit", mode, now);
    if (event.kind === "exit-filled" && event.qty.gt(0)) await appendFill(tx, orderId, event, now);
    if (event.kind === "liquidated") await appendFill(tx, orderId, { qty: after.exit.filledQty.minus(exitFilledBefore(before.state)), price: event.price, fee: event.fee }, now);
  }
  if ("position" in after) {
    const positionId = await savePosition(tx, after, mode);
    if (event.kind === "funding" && "position" in before.state) {
      const added = after.position.fundingSettlements.filter((ts) => !(before.state as { position: PositionState }).position.fundingSettlements.includes(ts));
      const amount = after.position.funding.minus(before.state.position.funding);
      for (const ts of added) {
        await tx.fundingPayment.create({ data: { positionId, ts: new Date(ts), rate: event.rate, markPrice: String(event.markPrice), amount: money(amount) } });
      }
    }
  }
  return { version, intentIds: await writeIntents(tx, intents, now, version) };
}

function exitFilledBefore(state: TradeState): Decimal {
  return state.status === "closing" ? state.exit.filledQty : new Decimal(0);
}
