/**
 * Issue 11 (several bot processes on one database): a proposal's card is posted once per chat even
 * when two bot processes run card jobs of the same proposal at the same moment. The poster holds a
 * lease (src/store/card-lease.ts); the other process's job is refused with a retryable error, and
 * its retry edits the copies the first one recorded. "Another process" is played by a lease row
 * written under another process's name, as a bot on another machine would hold it.
 */
import { spawnSync } from "node:child_process";
import { hostname } from "node:os";
import { describe, expect, it } from "vitest";
import { deliverNotice } from "../../src/chat/notifier";
import { TelegramTransport } from "../../src/chat/telegram/telegram-transport";
import { DeliveryError } from "../../src/chat/transport";
import { LEASE_MS, releaseCardLease, takeCardLease, THIS_PROCESS } from "../../src/store/card-lease";
import { TelegramServer } from "../stand-ins/telegram-server";
import { seedProposal } from "../support/fixtures";
import { useCleanup } from "../support/cleanup";
import { silentLogger, useRecordingApps } from "../support/test-env";

const newApp = useRecordingApps();
const atEnd = useCleanup();
const DESK = -1001234567890;
const OTHER_MACHINE = "bot-2.example:4242:abcd1234";
const noHandlers = { onCommand: () => Promise.resolve({ text: "" }), onButton: () => Promise.resolve({ toast: "" }) };

async function desk(): Promise<{ telegram: TelegramServer; transport: TelegramTransport }> {
  const telegram = new TelegramServer();
  await telegram.start();
  const transport = new TelegramTransport({ token: telegram.token, apiRoot: telegram.apiRoot, chatIds: [String(DESK)], logger: silentLogger });
  await transport.start(noHandlers, []);
  atEnd(() => telegram.stop(), () => transport.stop());
  return { telegram, transport };
}

describe("a card's posting lease across bot processes", () => {
  it("while another process posts the card, this one posts nothing and asks to be retried; the retry edits that process's copy", async () => {
    const { telegram, transport } = await desk();
    const now = Date.now();
    const { app } = await newApp({ now });
    const id = await seedProposal(app);
    expect(await takeCardLease(app.db, id, now, OTHER_MACHINE)).toBe(true);

    const refused = deliverNotice(app, [transport], { kind: "card", proposalId: id });
    await expect(refused).rejects.toBeInstanceOf(DeliveryError);
    await expect(refused).rejects.toThrow(/another bot process is posting/);
    expect(telegram.sentMessages).toHaveLength(0);

    // The other process posts its copy, records it and lets go; our retry finds the copy.
    const [ref] = await transport.broadcast({ text: "the other process's copy" });
    if (ref === undefined) throw new Error("no message");
    await app.db.chatMessage.create({ data: { proposalId: id, platform: "telegram", chatId: ref.chatId, messageId: ref.messageId, version: 0 } });
    await releaseCardLease(app.db, id, OTHER_MACHINE);
    await app.db.proposal.update({ where: { id }, data: { version: { increment: 1 } } });
    await deliverNotice(app, [transport], { kind: "card", proposalId: id });
    expect(telegram.sentMessages).toHaveLength(1); // still the one copy
    expect(telegram.edits.map((e) => e.messageId)).toEqual([Number(ref.messageId)]);
    expect(await app.db.setting.count({ where: { key: { startsWith: "card.posting." } } })).toBe(0);
  });

  it("posts once and gives the lease back; a lease past its time or whose holder (on this machine) is gone is taken over", async () => {
    const { telegram, transport } = await desk();
    const now = Date.now();
    const { app } = await newApp({ now });
    const id = await seedProposal(app);
    await deliverNotice(app, [transport], { kind: "card", proposalId: id });
    expect(telegram.sentMessages).toHaveLength(1);
    expect(await app.db.setting.count({ where: { key: { startsWith: "card.posting." } } })).toBe(0);

    // Expired: another machine's lease, older than LEASE_MS.
    expect(await takeCardLease(app.db, "p-expired", now - LEASE_MS - 1, OTHER_MACHINE)).toBe(true);
    expect(await takeCardLease(app.db, "p-expired", now)).toBe(true);
    // Held and alive elsewhere: refused, then free once released.
    expect(await takeCardLease(app.db, "p-held", now, OTHER_MACHINE)).toBe(true);
    expect(await takeCardLease(app.db, "p-held", now)).toBe(false);
    await releaseCardLease(app.db, "p-held"); // not ours: left alone
    expect(await takeCardLease(app.db, "p-held", now)).toBe(false);
    await releaseCardLease(app.db, "p-held", OTHER_MACHINE);
    expect(await takeCardLease(app.db, "p-held", now)).toBe(true);
    // A process of this machine that was killed while posting: its lease is void at once.
    const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    const deadHolder = `${hostname()}:${gone.stdout}:ffff0000`;
    expect(await takeCardLease(app.db, "p-dead", now, deadHolder)).toBe(true);
    expect(await takeCardLease(app.db, "p-dead", now)).toBe(true);
    // A live process of this machine keeps its lease (this test's own process under another name
    // would be "an earlier incarnation": use the parent's pid, which is alive).
    expect(await takeCardLease(app.db, "p-alive", now, `${hostname()}:${process.ppid}:0000ffff`)).toBe(true);
    expect(await takeCardLease(app.db, "p-alive", now)).toBe(false);
    expect(THIS_PROCESS.startsWith(`${hostname()}:${process.pid}:`)).toBe(true);
  });
});
