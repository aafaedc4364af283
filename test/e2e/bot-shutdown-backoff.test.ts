import { afterAll, describe, expect, it } from "vitest";
import { DESK_CHAT, cleanupHarness, withScenario } from "../support/process-harness";

/**
 * Issue 9: "shutdown during a back-off exits within 10 s without losing or doubling a message".
 * `npm start` (all roles, one OS process) while Telegram keeps the desk under flood control: the
 * proposal card's notify job is in its back-off (waiting in-process on a retry_after, then given
 * back to the queue) when SIGTERM comes. The process exits cleanly within 10 s; a new process
 * started after the flood delivers the card once, and no message twice.
 */
const TIMEOUT_MS = 120_000;

afterAll(async () => {
  await cleanupHarness();
});

describe("npm start stopped while Telegram holds the desk under flood control", () => {
  it("exits within 10 s, and the next process delivers the card exactly once", { timeout: TIMEOUT_MS }, async () => {
    await withScenario({}, async (s) => {
      // 2 s bans, renewed by every early try: the transport waits in-process, gives up, the queue retries.
      s.telegram.floodChat(DESK_CHAT, 2);
      const first = await s.start("all");
      const triesToDesk = (): number => s.telegram.timeline.filter((c) => c.method === "sendmessage" && c.chatId === String(DESK_CHAT)).length;
      // SIGTERM lands while the job waits in-process on a retry_after (the worst moment to stop).
      await first.waitForOutput(/Telegram rate limit hit; waiting before retrying/, 60_000);
      expect(triesToDesk()).toBeGreaterThanOrEqual(1);
      expect(s.telegram.sentMessages).toHaveLength(0);

      const stopAt = Date.now();
      const exit = await first.stop(15_000);
      const tookMs = Date.now() - stopAt;
      expect(exit.code).toBe(0);
      // The goal is 10 s; the design bound is ~3 s in-process (a 429 wait or a lane's turn) plus
      // closing. 6 s leaves no room for the old 10 s in-process wait, which met 10 s only by luck.
      expect(tookMs).toBeLessThan(6_000);

      s.telegram.floodChat(DESK_CHAT, undefined);
      const second = await s.start("all");
      const card = await s.waitForProposalCard(60_000);
      // Time for any duplicate to show up: retries of the same job, the reconciler's re-queue.
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      const cards = s.telegram.sentMessages.filter((m) => m.replyMarkup !== undefined);
      expect(cards.map((m) => m.messageId)).toEqual([card.message.messageId]);
      const texts = s.telegram.sentMessages.map((m) => m.text);
      expect(new Set(texts).size).toBe(texts.length);
      // One copy per platform (the console transport keeps its own).
      expect(s.sql(`SELECT * FROM "ChatMessage" WHERE platform = 'telegram'`)).toHaveLength(1);
      expect((await second.stop(15_000)).code).toBe(0);
    });
  });
});
