import type { App, Notice } from "../app/context";
import { renderProposal } from "./render/proposal-card";
import type { ChatTransport, MessageRef, OutgoingMessage } from "./transport";

/**
 * Delivers a Notice to every connected platform. Proposal cards are rendered from the database at
 * send time and every copy is remembered, so later state changes edit all of them.
 */
export async function deliverNotice(app: App, transports: readonly ChatTransport[], notice: Notice): Promise<void> {
  if (notice.kind === "text") {
    await broadcastAll(transports, { text: notice.text });
    return;
  }
  const proposal = await app.db.proposal.findUnique({ where: { id: notice.proposalId }, include: { signal: true, position: true, messages: true } });
  if (proposal === null) {
    app.logger.warn({ proposalId: notice.proposalId }, "notice for an unknown proposal dropped");
    return;
  }
  const card = renderProposal({ proposal, signal: proposal.signal, position: proposal.position, now: app.clock() });
  if (notice.kind === "proposal") {
    // A retried job must not post the card twice where it already landed.
    const posted = new Set(proposal.messages.map((m) => m.platform));
    const refs = await broadcastAll(transports.filter((t) => !posted.has(t.platform)), card);
    for (const ref of refs) {
      await app.db.chatMessage.upsert({
        where: { platform_chatId_messageId: { platform: ref.platform, chatId: ref.chatId, messageId: ref.messageId } },
        create: { proposalId: proposal.id, ...ref }, update: {},
      });
    }
    return;
  }
  for (const message of proposal.messages) {
    const transport = transports.find((t) => t.platform === message.platform);
    if (transport === undefined) continue;
    try {
      await transport.edit({ platform: transport.platform, chatId: message.chatId, messageId: message.messageId }, card);
    } catch (error) {
      app.logger.warn({ err: error, platform: message.platform, proposalId: proposal.id }, "could not update a proposal message");
    }
  }
}

async function broadcastAll(transports: readonly ChatTransport[], message: OutgoingMessage): Promise<MessageRef[]> {
  const results = await Promise.allSettled(transports.map((t) => t.broadcast(message)));
  return results.flatMap((r) => (r.status === "fulfilled" ? r.value : []));
}
