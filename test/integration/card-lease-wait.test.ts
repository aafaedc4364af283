/**
 * Issue 11 (several bot processes): while another bot process holds a card's posting lease, this
 * process's card job waits for it through the real queue (BullMQ, Redis) without using up its
 * attempts, which stay for real delivery failures; once the lease ends it posts the card, once per
 * chat. "Another process" is a lease row under another machine's name, held for a few seconds.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LEASE_MS, takeCardLease } from "../../src/store/card-lease";
import { seedProposal } from "../support/fixtures";
import { CHAT, DESK, startAlertDesk, until, type AlertDesk } from "../support/alert-desk";

const OTHER_MACHINE = "bot-2.example:4242:abcd1234";
const HELD_MS = 3_000;

let desk: AlertDesk;
beforeEach(async () => {
  desk = await startAlertDesk();
});
afterEach(async () => {
  await desk.close();
});

describe("a card job meeting another process's posting lease", () => {
  it("waits for the lease without spending an attempt, then posts the card once per chat", async () => {
    const app = desk.runtime.app;
    const proposalId = await seedProposal(app);
    const now = Date.now();
    // Taken as if a little before now, so it runs out HELD_MS from now.
    expect(await takeCardLease(app.db, proposalId, now - LEASE_MS + HELD_MS, OTHER_MACHINE)).toBe(true);
    const card = `card-${proposalId}-0`;
    await app.dispatch([card]);

    // While the lease holds, nothing is posted and the job has not failed once.
    await new Promise((resolve) => setTimeout(resolve, HELD_MS / 2));
    expect(desk.telegram.sentMessages.filter((m) => m.replyMarkup !== undefined)).toHaveLength(0);
    expect((await desk.runtime.queues.notify.getJob(card))?.attemptsMade ?? 0).toBe(0);

    await until(async () => (await app.db.intent.findUnique({ where: { id: card } }))?.status === "done", 15_000);
    expect(Date.now() - now).toBeGreaterThanOrEqual(HELD_MS - 100);
    const posted = desk.telegram.sentMessages.filter((m) => m.replyMarkup !== undefined);
    expect(posted.map((m) => m.chatId).sort((a, b) => a - b)).toEqual([DESK, CHAT].sort((a, b) => a - b));
    const job = await desk.runtime.queues.notify.getJob(card);
    // BullMQ counts the attempt that completed; the waits before it went back to the queue uncounted.
    expect(job?.attemptsMade).toBe(1);
    expect((await app.db.intent.findUnique({ where: { id: card } }))?.lastError ?? null).toBeNull();
  }, 30_000);
});
