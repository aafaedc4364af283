/**
 * Issue 9 point 4, "card edits only when the text changed": each copy remembers a hash of what it
 * shows, and an edit that would show the same is not sent. The Telegram stand-in answers an
 * identical edit 400 "message is not modified" as Telegram does; the transport takes that as done.
 */
import { describe, expect, it, vi } from "vitest";
import { rejectProposal } from "../../src/app/decide-proposal";
import { DiscordTransport } from "../../src/chat/discord/discord-transport";
import { deliverNotice } from "../../src/chat/notifier";
import { TelegramTransport } from "../../src/chat/telegram/telegram-transport";
import type { ChatTransport } from "../../src/chat/transport";
import { DiscordStandIn } from "../stand-ins/discord-server";
import { TelegramServer } from "../stand-ins/telegram-server";
import { seedProposal } from "../support/fixtures";
import { useCleanup } from "../support/cleanup";
import { silentLogger, useRecordingApps } from "../support/test-env";

const newApp = useRecordingApps();
const atEnd = useCleanup();
const DESK = -1001234567890;
const noHandlers = { onCommand: () => Promise.resolve({ text: "" }), onButton: () => Promise.resolve({ toast: "" }) };

async function desks() {
  const telegram = new TelegramServer();
  const discord = new DiscordStandIn();
  await Promise.all([telegram.start(), discord.start()]);
  const tg = new TelegramTransport({ token: telegram.token, apiRoot: telegram.apiRoot, chatIds: [String(DESK)], logger: silentLogger });
  const dc = new DiscordTransport({ token: discord.token, apiRoot: discord.apiRoot, channelIds: [discord.channelId], guildId: discord.guildId, logger: silentLogger });
  await Promise.all([tg.start(noHandlers, []), dc.start(noHandlers, [])]);
  atEnd(() => telegram.stop(), () => discord.stop(), () => tg.stop(), () => dc.stop());
  return { telegram, discord, transports: [tg, dc] as const };
}

describe("card edits", () => {
  it("10 card jobs for one visible change: one edit per copy, no request for the 9 identical ones", async () => {
    const { telegram, discord, transports } = await desks();
    const { app } = await newApp({ now: Date.now() });
    const id = await seedProposal(app);
    await deliverNotice(app, transports, { kind: "card", proposalId: id });
    await rejectProposal(app, id, { platform: "telegram", userId: "111", displayName: "Ada" });

    for (let i = 0; i < 10; i += 1) {
      await deliverNotice(app, transports, { kind: "card", proposalId: id });
      // A new version that shows nothing new (as a booked fee or a noted order id would).
      await app.db.proposal.update({ where: { id }, data: { version: { increment: 1 } } });
    }
    expect(telegram.calls.filter((c) => c === "editmessagetext")).toHaveLength(1);
    expect(telegram.edits[0]?.text).toContain("Rejected by Ada");
    expect(discord.requests.filter((r) => r.method === "PATCH")).toHaveLength(1);
    // Every copy still records the newest version it shows, so the reconciler sees no stale card.
    const rows = await app.db.chatMessage.findMany({ where: { proposalId: id } });
    const { version } = await app.db.proposal.findUniqueOrThrow({ where: { id } });
    expect(rows.map((r) => r.version)).toEqual([version - 1, version - 1]);
  });

  it("an edit rendered earlier that lands after a newer one (another bot process) is followed by the newest state", async () => {
    const { telegram, transports } = await desks();
    const [tg] = transports;
    const { app } = await newApp({ now: Date.now() });
    const id = await seedProposal(app);
    await deliverNotice(app, [tg], { kind: "card", proposalId: id });
    // Version 1: a change the card shows (its stop loss), not yet on screen.
    const { stopPrice } = await app.db.proposal.findUniqueOrThrow({ where: { id } });
    await app.db.proposal.update({ where: { id }, data: { stopPrice: String(Number(stopPrice) * 0.99), version: { increment: 1 } } });
    // A second bot process: its own notifier module (card jobs of one proposal take turns only
    // within a process), on the same database and Telegram.
    vi.resetModules();
    const otherProcess = await import("../../src/chat/notifier");
    expect(otherProcess.deliverNotice).not.toBe(deliverNotice);
    // This process's edit of version 1 is slow: meanwhile the trade is rejected (version 2) and the
    // other process shows that; then the slow edit lands on top of it.
    let held = false;
    const slow: ChatTransport = {
      platform: tg.platform, chatIds: tg.chatIds, start: (h, c) => tg.start(h, c), stop: () => tg.stop(), broadcast: (m, k, q) => tg.broadcast(m, k, q),
      async edit(ref, message) {
        if (!held) {
          held = true;
          expect(message.text).not.toContain("Rejected");
          await rejectProposal(app, id, { platform: "telegram", userId: "111", displayName: "Ada" });
          await otherProcess.deliverNotice(app, [tg], { kind: "card", proposalId: id });
          expect(telegram.edits.at(-1)?.text).toContain("Rejected by Ada");
        }
        await tg.edit(ref, message);
      },
    };
    await deliverNotice(app, [slow], { kind: "card", proposalId: id });
    expect(held).toBe(true);
    // The stale edit landed last, and was followed by a check that found version 2 and showed it.
    expect(telegram.edits.at(-1)?.text).toContain("Rejected by Ada");
    const [copy] = await app.db.chatMessage.findMany({ where: { proposalId: id } });
    const { version } = await app.db.proposal.findUniqueOrThrow({ where: { id } });
    expect(copy?.version).toBe(version);
  });

  it("an identical edit that does reach Telegram (a copy nobody hashed) is answered 400 'not modified' and taken as done", async () => {
    const { telegram, transports } = await desks();
    const [tg] = transports;
    const [ref] = await tg.broadcast({ text: "Long MNT?" });
    if (ref === undefined) throw new Error("no message");
    await expect(tg.edit(ref, { text: "Long MNT?" })).resolves.toBeUndefined();
    expect(telegram.calls.filter((c) => c === "editmessagetext")).toHaveLength(1);
    expect(telegram.edits).toHaveLength(0); // the stand-in refused it as Telegram does
  });
});
