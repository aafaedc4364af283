import Decimal from "decimal.js";
import { renderProposal } from "../../src/chat/render/proposal-card";
import { entryClientOrderId } from "../../src/core/trading/orders";
import type { Db } from "../../src/store/database";
import { loadTrade } from "../../src/store/trade-repo";
import type { ChatPlatform, RecordedMessage } from "./recording-transport";

export interface Verdict {
  duplicateOrders: number;
  unbookedVenueOrders: number;
  /** Live: the journal's fills or positions disagree with the venue's. */
  venueMismatches: number;
  lostIntents: number;
  staleCards: number;
  staleOnlyByDuplicatePost: number;
  duplicatePosts: number;
  failedIntents: number;
  /** Trades by status. */
  statuses: Map<string, number>;
  details: string[];
}

function loadEntries(observer: Db, proposalId: string) {
  return observer.order.findMany({ where: { proposalId, purpose: "entry" }, include: { fills: true } });
}
/** A trade's entry rows in the journal, with their fills. */
export type EntryRows = Awaited<ReturnType<typeof loadEntries>>;

/** What one trade's orders on the venue say against the journal: each a finding, or null. */
export interface VenueFindings {
  duplicate: string | null;
  unbooked: string | null;
  mismatch: string | null;
}

/** The venue side of the verdict: the paper venue's ledger, or a live venue's stand-in account. */
export interface VenueCheck {
  readonly mode: "paper" | "live";
  inspect(proposal: { readonly id: string; readonly status: string; readonly symbol: string }, entries: EntryRows): VenueFindings;
  /** After every trade was inspected: venue orders no trade owns, positions the journal does not hold. */
  stray(): { unbooked: string[]; mismatches: string[] };
}

/** The paper venue: its own ledger of orders, keyed by client order id. */
export async function paperCheck(observer: Db): Promise<VenueCheck> {
  const paper = new Map((await observer.paperOrder.findMany()).map((p) => [p.clientOrderId, p]));
  return {
    mode: "paper",
    inspect(p, entries) {
      const findings: VenueFindings = { duplicate: null, unbooked: null, mismatch: null };
      const venue = [...paper.values()].filter((o) => o.clientOrderId.startsWith(`${p.id}-`) && !o.reduceOnly);
      const venueQty = venue.reduce((s, o) => s.plus(o.quantity), new Decimal(0));
      let dup = entries.length > 1 || venue.length > 1;
      for (const order of entries) {
        const filled = order.fills.reduce((s, f) => s.plus(f.quantity), new Decimal(0));
        // The paper venue reports one execution per order: more than one fill, or more booked than it filled, is a double booking.
        if (order.fills.length > venue.length || filled.gt(venueQty) || !filled.eq(order.filledQty)) dup = true;
      }
      if (dup) findings.duplicate = `duplicate order: ${p.id} (${entries.length} entry rows, ${venue.length} venue orders, fills ${entries.map((e) => e.fills.length).join("/")})`;
      const venueOrder = paper.get(entryClientOrderId(p.id));
      if (venueOrder !== undefined && p.status !== "open") findings.unbooked = `venue order not booked: ${p.id} is ${p.status} while the paper venue filled ${venueOrder.quantity}`;
      return findings;
    },
    stray: () => ({ unbooked: [], mismatches: [] }),
  };
}

/** The verdict, from the database and the chat as they are now. */
export async function check(observer: Db, chat: ChatPlatform, venueCheck: VenueCheck): Promise<Verdict> {
  const proposals = await observer.proposal.findMany({ select: { id: true, status: true, version: true, symbol: true } });
  let duplicateOrders = 0;
  let unbookedVenueOrders = 0;
  let venueMismatches = 0;
  let lostIntents = 0;
  let staleCards = 0;
  let staleOnlyByDuplicatePost = 0;
  let duplicatePosts = 0;
  const details: string[] = [];
  const recorded = new Map<string, number>();
  for (const m of await observer.chatMessage.findMany()) recorded.set(m.messageId, m.version);
  const messagesByProposal = new Map<string, RecordedMessage[]>();
  for (const m of chat.messages.values()) {
    const match = /proposal (p[0-9a-f]+)/.exec(m.text);
    const key = match?.[1] ?? "?";
    messagesByProposal.set(key, [...(messagesByProposal.get(key) ?? []), m]);
  }
  for (const p of proposals) {
    const findings = venueCheck.inspect(p, await loadEntries(observer, p.id));
    if (findings.duplicate !== null) {
      duplicateOrders += 1;
      details.push(findings.duplicate);
    }
    if (findings.unbooked !== null) {
      unbookedVenueOrders += 1;
      details.push(findings.unbooked);
    }
    if (findings.mismatch !== null) {
      venueMismatches += 1;
      details.push(findings.mismatch);
    }
    if (["approved", "submitting", "unknown", "pending"].includes(p.status)) {
      lostIntents += 1;
      details.push(`trade left half-way: ${p.id} is ${p.status}`);
    }
    const stored = await loadTrade(observer, p.id);
    const truth = stored === null ? null : renderProposal({ trade: stored.state, signal: null, now: Date.now(), mode: venueCheck.mode });
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
  const stray = venueCheck.stray();
  unbookedVenueOrders += stray.unbooked.length;
  venueMismatches += stray.mismatches.length;
  details.push(...stray.unbooked, ...stray.mismatches);
  const pendingIntents = await observer.intent.findMany({ where: { status: "pending" }, select: { id: true } });
  const failedIntents = await observer.intent.findMany({ where: { status: "failed" }, select: { id: true, lastError: true } });
  lostIntents += pendingIntents.length;
  for (const i of pendingIntents.slice(0, 20)) details.push(`intent still pending: ${i.id}`);
  for (const i of failedIntents.slice(0, 20)) details.push(`intent failed: ${i.id} (${i.lastError ?? ""})`);
  const statuses = new Map<string, number>();
  for (const p of proposals) statuses.set(p.status, (statuses.get(p.status) ?? 0) + 1);
  return { duplicateOrders, unbookedVenueOrders, venueMismatches, lostIntents, staleCards, staleOnlyByDuplicatePost, duplicatePosts, failedIntents: failedIntents.length, statuses, details };
}
