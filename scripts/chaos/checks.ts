import Decimal from "decimal.js";
import { renderProposal } from "../../src/chat/render/proposal-card";
import { entryClientOrderId } from "../../src/core/trading/orders";
import type { Db } from "../../src/store/database";
import { loadTrade } from "../../src/store/trade-repo";
import type { ChatPlatform, RecordedMessage } from "./recording-transport";

export interface Verdict {
  duplicateOrders: number;
  unbookedVenueOrders: number;
  lostIntents: number;
  staleCards: number;
  staleOnlyByDuplicatePost: number;
  duplicatePosts: number;
  failedIntents: number;
  /** Trades by status. */
  statuses: Map<string, number>;
  details: string[];
}

/** The verdict, from the database and the chat as they are now. */
export async function check(observer: Db, chat: ChatPlatform): Promise<Verdict> {
  const proposals = await observer.proposal.findMany({ select: { id: true, status: true, version: true } });
  let duplicateOrders = 0;
  let unbookedVenueOrders = 0;
  let lostIntents = 0;
  let staleCards = 0;
  let staleOnlyByDuplicatePost = 0;
  let duplicatePosts = 0;
  const details: string[] = [];
  const paper = new Map((await observer.paperOrder.findMany()).map((p) => [p.clientOrderId, p]));
  const recorded = new Map<string, number>();
  for (const m of await observer.chatMessage.findMany()) recorded.set(m.messageId, m.version);
  const messagesByProposal = new Map<string, RecordedMessage[]>();
  for (const m of chat.messages.values()) {
    const match = /proposal (p[0-9a-f]+)/.exec(m.text);
    const key = match?.[1] ?? "?";
    messagesByProposal.set(key, [...(messagesByProposal.get(key) ?? []), m]);
  }
  for (const p of proposals) {
    const entries = await observer.order.findMany({ where: { proposalId: p.id, purpose: "entry" }, include: { fills: true } });
    const venue = [...paper.values()].filter((o) => o.clientOrderId.startsWith(`${p.id}-`) && !o.reduceOnly);
    const venueQty = venue.reduce((s, o) => s.plus(o.quantity), new Decimal(0));
    let dup = entries.length > 1 || venue.length > 1;
    for (const order of entries) {
      const filled = order.fills.reduce((s, f) => s.plus(f.quantity), new Decimal(0));
      // The paper venue reports one execution per order: more than one fill, or more booked than it filled, is a double booking.
      if (order.fills.length > venue.length || filled.gt(venueQty) || !filled.eq(order.filledQty)) dup = true;
    }
    if (dup) {
      duplicateOrders += 1;
      details.push(`duplicate order: ${p.id} (${entries.length} entry rows, ${venue.length} venue orders, fills ${entries.map((e) => e.fills.length).join("/")})`);
    }
    const venueOrder = paper.get(entryClientOrderId(p.id));
    if (venueOrder !== undefined && p.status !== "open") {
      unbookedVenueOrders += 1;
      details.push(`venue order not booked: ${p.id} is ${p.status} while the paper venue filled ${venueOrder.quantity}`);
    }
    if (["approved", "submitting", "unknown", "pending"].includes(p.status)) {
      lostIntents += 1;
      details.push(`trade left half-way: ${p.id} is ${p.status}`);
    }
    const stored = await loadTrade(observer, p.id);
    const truth = stored === null ? null : renderProposal({ trade: stored.state, signal: null, now: Date.now(), mode: "paper" });
    const rows = await observer.chatMessage.findMany({ where: { proposalId: p.id } });
    const posted = messagesByProposal.get(p.id) ?? [];
    let stale = rows.length === 0 || rows.some((r) => r.version < p.version);
    let staleRecorded = stale;
    for (const m of posted) {
      if (!recorded.has(m.ref.messageId)) duplicatePosts += 1;
      if (truth !== null && (m.text !== truth.text || m.buttons !== (truth.buttons?.length ?? 0))) {
        stale = true;
        if (recorded.has(m.ref.messageId)) staleRecorded = true;
      }
    }
    if (stale) {
      staleCards += 1;
      if (!staleRecorded) staleOnlyByDuplicatePost += 1;
      const texts = posted.map((m) => `#${m.ref.messageId}${recorded.has(m.ref.messageId) ? ` v${recorded.get(m.ref.messageId)}` : " (unrecorded)"}: ${m.text.split("\n").at(-1) ?? ""}`);
      details.push(`card not true: ${p.id} (${p.status} v${p.version}) ${texts.join(" | ") || "never posted"}`);
    }
  }
  const pendingIntents = await observer.intent.findMany({ where: { status: "pending" }, select: { id: true } });
  const failedIntents = await observer.intent.findMany({ where: { status: "failed" }, select: { id: true, lastError: true } });
  lostIntents += pendingIntents.length;
  for (const i of pendingIntents.slice(0, 20)) details.push(`intent still pending: ${i.id}`);
  for (const i of failedIntents.slice(0, 20)) details.push(`intent failed: ${i.id} (${i.lastError ?? ""})`);
  const statuses = new Map<string, number>();
  for (const p of proposals) statuses.set(p.status, (statuses.get(p.status) ?? 0) + 1);
  return { duplicateOrders, unbookedVenueOrders, lostIntents, staleCards, staleOnlyByDuplicatePost, duplicatePosts, failedIntents: failedIntents.length, statuses, details };
}
