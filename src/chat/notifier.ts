import { createHash } from "node:crypto";
import type { App, Notice } from "../app/context";
import { alertEventOf } from "../core/alert-events";
import { crashPoint } from "../crash-points";
import { releaseCardLease, takeCardLease } from "../store/card-lease";
import { chatsNotOn } from "../store/chat-settings";
import { loadTrade } from "../store/trade-repo";
import { renderProposal } from "./render/proposal-card";
import { DeliveryError, type ChatTransport, type MessageRef, type OutgoingMessage, type Platform } from "./transport";

/** Re-renders after an edit when the trade moved on meanwhile; the reconciler covers anything beyond. */
const MAX_EDIT_ROUNDS = 3;

/**
 * Where a text notice has landed on earlier attempts of its job ("platform:chatId"), so a retry
 * posts only to the chats still missing it. Cards need none: their ChatMessage rows say it.
 */
export interface DeliveryLedger {
  readonly delivered: ReadonlySet<string>;
  record(refs: readonly MessageRef[]): Promise<void>;
}

export const ledgerKey = (platform: Platform, chatId: string): string => `${platform}:${chatId}`;

/**
 * Delivers a Notice to every connected platform. A card is rendered from the trade's current
 * state at send time: posted where it has not been posted yet, edited everywhere else, and each
 * copy remembers the trade version it shows — so a late or repeated card job can only bring a
 * message up to date, and the reconciler can tell a stale card from a true one.
 *
 * Each chat's alert settings (/settings) are read once per notice: a text of a kind a chat has
 * "off" is not posted there, one it has "silent" is posted without a sound. A card follows the
 * "proposal" setting for its first post only; a chat that has a copy keeps getting its edits, so
 * no card is left behind with live buttons.
 */
export async function deliverNotice(app: App, transports: readonly ChatTransport[], notice: Notice, ledger?: DeliveryLedger): Promise<void> {
  if (notice.kind === "text") {
    await cardsFirst();
    const settings = await chatsNotOn(app.db, alertEventOf(notice));
    const delivered = [...(ledger?.delivered ?? [])];
    const sent = await broadcastAll(transports, { text: notice.text }, (platform) => routeFor(platform, delivered, settings));
    await ledger?.record(sent.refs);
    throwIfFailed(sent.failures, "text notice");
    return;
  }
  cardsPreparing += 1; // before any await: a text job started after this one waits for it
  try {
    await oneCardAtATime(notice.proposalId, () => deliverCard(app, transports, notice.proposalId));
  } finally {
    cardsPreparing -= 1;
    if (cardsPreparing === 0) for (const release of cardsDone.splice(0)) release();
  }
}

/**
 * A proposal card goes out before the texts dispatched with it. A card job reads the trade and
 * renders before it sends, a text job sends at once; with Telegram's one message a second per
 * chat, a text that takes a chat's slot first holds the card back a whole second (seen in a burst
 * of 100 alerts: the card 1 s late in every chat). So a text waits while this process prepares or
 * posts a card, for at most CARDS_FIRST_MAX_MS: texts are not held up by a card stuck in retries.
 */
const CARDS_FIRST_MAX_MS = 500;
let cardsPreparing = 0;
const cardsDone: (() => void)[] = [];
function cardsFirst(): Promise<void> {
  if (cardsPreparing === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, CARDS_FIRST_MAX_MS);
    cardsDone.push(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Card jobs run several at once (src/queue/workers.ts), and two for one proposal (its proposal and
 * an auto-executed fill) would both find no copy yet and both post one. They take turns instead;
 * cards of different proposals still go out together.
 */
const cardTurns = new Map<string, Promise<void>>();
async function oneCardAtATime(proposalId: string, deliver: () => Promise<void>): Promise<void> {
  const before = cardTurns.get(proposalId) ?? Promise.resolve();
  const mine = before.then(deliver, deliver);
  const settled = mine.then(() => undefined, () => undefined);
  cardTurns.set(proposalId, settled);
  try {
    await mine;
  } finally {
    if (cardTurns.get(proposalId) === settled) cardTurns.delete(proposalId);
  }
}

async function deliverCard(app: App, transports: readonly ChatTransport[], proposalId: string): Promise<void> {
  const notice = { kind: "card" as const, proposalId };
  const stored = await loadTrade(app.db, notice.proposalId);
  if (stored === null) {
    app.logger.warn({ proposalId: notice.proposalId }, "notice for an unknown proposal dropped");
    return;
  }
  const copies = (): Promise<ChatMessageRow[]> => app.db.chatMessage.findMany({ where: { proposalId: notice.proposalId } });
  const [signal, firstRead, settings] = await Promise.all([
    stored.state.terms.signalId === null ? null : app.db.signal.findUnique({ where: { id: stored.state.terms.signalId } }),
    copies(),
    chatsNotOn(app.db, "proposal"),
  ]);
  let messages = firstRead;
  const card = renderProposal({ trade: stored.state, signal, now: app.clock(), mode: app.broker.mode });
  const postedIn = (rows: readonly ChatMessageRow[]): string[] => rows.map((m) => ledgerKey(m.platform as Platform, m.chatId));

  // Post once per chat, edit after: a chat that has a copy is skipped; one a failed attempt missed
  // gets it now. Posting is done under the proposal's lease (another bot process may be posting
  // this card), and the copies are read again once it is held: the last holder may have posted.
  const underLease = mayPost(transports, postedIn(messages), settings);
  if (underLease) {
    if (!(await takeCardLease(app.db, notice.proposalId, app.clock()))) throw new CardPostedElsewhere(notice.proposalId);
    messages = await copies();
  }
  const cardHash = shownHash(card);
  let sent: Broadcast;
  try {
    const posted = postedIn(messages);
    sent = await broadcastAll(transports, card, (platform) => routeFor(platform, posted, settings));
    if (sent.refs.length > 0) crashPoint("after-card-send");
    for (const ref of sent.refs) await recordCopy(app, notice.proposalId, ref, stored.version, cardHash);
  } finally {
    if (underLease) await releaseCardLease(app.db, notice.proposalId).catch((error: unknown) => app.logger.warn({ err: error }, "could not release a card's posting lease (it expires)"));
  }
  // Every copy at once: one platform's rate limit must not hold back the edits on the others.
  const edits = await Promise.all(messages.map(async (message): Promise<Failure | null> => {
    if (message.version >= stored.version) return null;
    const transport = transports.find((t) => t.platform === message.platform);
    if (transport === undefined) return null;
    const ref = { platform: transport.platform, chatId: message.chatId, messageId: message.messageId };
    try {
      let shown = stored;
      let text = card;
      let onScreen = message.shownHash;
      // Two card jobs may edit one message at once (a retry after a Redis hiccup, a slow chat API):
      // an edit rendered earlier can land after a newer one. So after each edit the trade is read
      // again, and if it moved on meanwhile the newest state is shown once more: the last edit to
      // land is then always followed by a check that sees the latest version.
      for (let round = 0; round < MAX_EDIT_ROUNDS; round += 1) {
        // Most new versions change nothing a reader sees (an order id noted, a fill booked): such an
        // edit is not sent at all (it would cost a request, and a 400 "not modified" on Telegram).
        const hash = shownHash(text);
        if (hash !== onScreen) await transport.edit(ref, text);
        onScreen = hash;
        await app.db.chatMessage.updateMany({ where: { id: message.id, version: { lt: shown.version } }, data: { version: shown.version, shownHash: hash } });
        // The version alone first (one query; the whole trade is up to four): all the check needs.
        const current = await app.db.proposal.findUnique({ where: { id: notice.proposalId }, select: { version: true } });
        if (current === null || current.version <= shown.version) break;
        const latest = await loadTrade(app.db, notice.proposalId);
        if (latest === null || latest.version <= shown.version) break;
        shown = latest;
        text = renderProposal({ trade: latest.state, signal, now: app.clock(), mode: app.broker.mode });
      }
    } catch (error) {
      app.logger.warn({ err: error, platform: message.platform, proposalId: notice.proposalId }, "could not update a proposal message");
      return { platform: transport.platform, error };
    }
    return null;
  }));
  // Throwing lets the queue retry with backoff; copies already posted or edited are skipped next time.
  throwIfFailed([...sent.failures, ...edits.filter((f): f is Failure => f !== null)], `card ${notice.proposalId}`);
}

type ChatMessageRow = Awaited<ReturnType<App["db"]["chatMessage"]["findMany"]>>[number];

/** Whether some chat may still need a copy (a transport that does not list its chats may always). */
function mayPost(transports: readonly ChatTransport[], posted: readonly string[], settings: AlertSettings): boolean {
  return transports.some((t) => {
    if (t.chatIds === undefined) return true;
    const { skip } = routeFor(t.platform, posted, settings);
    return t.chatIds.some((chatId) => !skip.has(chatId));
  });
}

/**
 * Another bot process holds the card's posting lease: the job runs again shortly (the notify job
 * puts it back in the queue without counting a failed attempt) and then edits what was posted.
 */
export class CardPostedElsewhere extends DeliveryError {
  constructor(proposalId: string) {
    super(`another bot process is posting the card of ${proposalId}; retried shortly`, [], 1_000);
    this.name = "CardPostedElsewhere";
  }
}

/** What a copy shows, in 16 hex digits: text and buttons (labels, data, styles), nothing else. */
export function shownHash(message: OutgoingMessage): string {
  const buttons = (message.buttons ?? []).map((b) => [b.label, b.data, b.style]);
  return createHash("sha256").update(JSON.stringify([message.text, buttons])).digest("hex").slice(0, 16);
}

/**
 * Records a posted copy. Two card jobs for one proposal may post and record at once (an upsert
 * is not atomic on SQLite: both may try the insert), so a lost race becomes an update.
 */
async function recordCopy(app: App, proposalId: string, ref: MessageRef, version: number, hash: string): Promise<void> {
  const key = { platform: ref.platform, chatId: ref.chatId, messageId: ref.messageId };
  try {
    await app.db.chatMessage.upsert({ where: { platform_chatId_messageId: key }, create: { proposalId, ...key, version, shownHash: hash }, update: { version, shownHash: hash } });
  } catch (error) {
    const updated = await app.db.chatMessage.updateMany({ where: key, data: { version, shownHash: hash } });
    if (updated.count === 0) throw error;
  }
}

interface Failure { readonly platform: Platform; readonly error: unknown }
interface Broadcast { readonly refs: MessageRef[]; readonly failures: Failure[] }
/** Per platform: the chats not to post to (they have it, or have this kind off) and those to post to silently. */
interface Route { readonly skip: ReadonlySet<string>; readonly silent: ReadonlySet<string> }
/** "platform:chatId" → the chat's mode for one kind of alert, for the chats where it is not "on" (chatsNotOn). */
type AlertSettings = ReadonlyMap<string, "silent" | "off">;

function routeFor(platform: Platform, alreadyThere: readonly string[], settings: AlertSettings): Route {
  const inMode = (mode: "silent" | "off"): string[] => [...settings].flatMap(([key, m]) => (m === mode ? [key] : []));
  return { skip: chatsOf([...alreadyThere, ...inMode("off")], platform), silent: chatsOf(inMode("silent"), platform) };
}

/** Every platform at once; copies that landed are returned even when others of the same platform failed. */
async function broadcastAll(transports: readonly ChatTransport[], message: OutgoingMessage, route: (platform: Platform) => Route): Promise<Broadcast> {
  const results = await Promise.allSettled(transports.map((t) => {
    const { skip, silent } = route(t.platform);
    return t.broadcast(message, skip, silent);
  }));
  const refs = results.flatMap((r): MessageRef[] => (r.status === "fulfilled" ? r.value : r.reason instanceof DeliveryError ? [...r.reason.delivered] : []));
  const failures = results.flatMap((r, i): Failure[] => {
    const transport = transports[i];
    return r.status === "rejected" && transport !== undefined ? [{ platform: transport.platform, error: r.reason }] : [];
  });
  return { refs, failures };
}

function chatsOf(keys: readonly string[], platform: Platform): ReadonlySet<string> {
  const prefix = `${platform}:`;
  return new Set(keys.filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)));
}

/** A notice some platforms did not take yet: which ones (for the undelivered record), and when to retry. */
export class NoticeNotDelivered extends DeliveryError {
  constructor(message: string, readonly platforms: readonly Platform[], retryAfterMs: number | null) {
    super(message, [], retryAfterMs);
  }
}

/** One typed error for the job: it fails, and the queue retries it no sooner than any platform asked. */
function throwIfFailed(failures: readonly Failure[], what: string): void {
  if (failures.length === 0) return;
  const errors = failures.map((f) => f.error);
  // A simulated crash (npm run chaos) must surface as itself, as a real crash would end the job.
  const crash = errors.find((f): f is Error => f instanceof Error && f.name === "SimulatedCrash");
  if (crash !== undefined) throw crash;
  const waits = errors.flatMap((f) => (f instanceof DeliveryError && f.retryAfterMs !== null ? [f.retryAfterMs] : []));
  const reasons = errors.map((f) => (f instanceof Error ? f.message : String(f))).join("; ");
  const platforms = [...new Set(failures.map((f) => f.platform))];
  throw new NoticeNotDelivered(`${what} not delivered everywhere: ${reasons}`, platforms, waits.length === 0 ? null : Math.max(...waits));
}
