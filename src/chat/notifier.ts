import type { App, Notice } from "../app/context";
import { crashPoint } from "../crash-points";
import { loadTrade } from "../store/trade-repo";
import { renderProposal } from "./render/proposal-card";
import type { ChatTransport, MessageRef, OutgoingMessage } from "./transport";

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
    try {
      await transport.edit({ platform: transport.platform, chatId: message.chatId, messageId: message.messageId }, card);
      await app.db.chatMessage.updateMany({ where: { id: message.id, version: { lt: stored.version } }, data: { version: stored.version } });
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
