import type { App, Notice } from "../app/context";
import { crashPoint } from "../crash-points";
import { loadTrade } from "../store/trade-repo";
import { renderProposal } from "./render/proposal-card";
import type { ChatTransport, MessageRef, OutgoingMessage } from "./transport";

/** Re-renders after an edit when the trade moved on meanwhile; the reconciler covers anything beyond. */
const MAX_EDIT_ROUNDS = 3;

/**
 * Delivers a Notice to every connected platform. A card is rendered from the trade's current
 * state at send time: posted where it has not been posted yet, edited everywhere else, and each
 * copy remembers the trade version it shows — so a late or repeated card job can only bring a
 * message up to date, and the reconciler can tell a stale card from a true one.
 */
export async function deliverNotice(app: App, transports: readonly ChatTransport[], notice: Notice): Promise<void> {
  if (notice.kind === "text") {
    await broadcastAll(transports, { text: notice.text });
    return;
  }
  const stored = await loadTrade(app.db, notice.proposalId);
  if (stored === null) {
    app.logger.warn({ proposalId: notice.proposalId }, "notice for an unknown proposal dropped");
    return;
  }
  const [signal, messages] = await Promise.all([
    stored.state.terms.signalId === null ? null : app.db.signal.findUnique({ where: { id: stored.state.terms.signalId } }),
    app.db.chatMessage.findMany({ where: { proposalId: notice.proposalId } }),
  ]);
  const card = renderProposal({ trade: stored.state, signal, now: app.clock(), mode: app.broker.mode });

  const posted = new Set(messages.map((m) => m.platform));
  const refs = await broadcastAll(transports.filter((t) => !posted.has(t.platform)), card);
  if (refs.length > 0) crashPoint("after-card-send");
  for (const ref of refs) {
    await app.db.chatMessage.upsert({
      where: { platform_chatId_messageId: { platform: ref.platform, chatId: ref.chatId, messageId: ref.messageId } },
      create: { proposalId: notice.proposalId, ...ref, version: stored.version }, update: { version: stored.version },
    });
  }
  const failures: string[] = [];
  for (const message of messages) {
    if (message.version >= stored.version) continue;
    const transport = transports.find((t) => t.platform === message.platform);
    if (transport === undefined) continue;
    const ref = { platform: transport.platform, chatId: message.chatId, messageId: message.messageId };
    try {
      let shown = stored;
      let text = card;
      // Two card jobs may edit one message at once (a retry after a Redis hiccup, a slow chat API):
      // an edit rendered earlier can land after a newer one. So after each edit the trade is read
      // again, and if it moved on meanwhile the newest state is shown once more: the last edit to
      // land is then always followed by a check that sees the latest version.
      for (let round = 0; round < MAX_EDIT_ROUNDS; round += 1) {
        await transport.edit(ref, text);
        await app.db.chatMessage.updateMany({ where: { id: message.id, version: { lt: shown.version } }, data: { version: shown.version } });
        const latest = await loadTrade(app.db, notice.proposalId);
        if (latest === null || latest.version <= shown.version) break;
        shown = latest;
        text = renderProposal({ trade: latest.state, signal, now: app.clock(), mode: app.broker.mode });
      }
    } catch (error) {
      app.logger.warn({ err: error, platform: message.platform, proposalId: notice.proposalId }, "could not update a proposal message");
      failures.push(message.platform);
    }
  }
  // Throwing lets the queue retry with backoff; the copies already edited are skipped next time.
  if (failures.length > 0) throw new Error(`card ${notice.proposalId} not updated on ${failures.join(", ")}`);
}

async function broadcastAll(transports: readonly ChatTransport[], message: OutgoingMessage): Promise<MessageRef[]> {
  const results = await Promise.allSettled(transports.map((t) => t.broadcast(message)));
  return results.flatMap((r) => (r.status === "fulfilled" ? r.value : []));
}
