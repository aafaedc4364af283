import { afterAll, describe, expect, it } from "vitest";
import { approveProposal } from "../../src/app/decide-proposal";
import { createChatRouter } from "../../src/chat/chat-router";
import { encodeButton } from "../../src/chat/callback-codec";
import { COMMANDS } from "../../commands";
import { startRuntime } from "../../src/runtime";
import { seedProposal, seedSnapshot } from "../support/fixtures";
import { freshPrefix, newRedis, silentLogger, tempDatabase, testSettings } from "../support/test-env";

/** A process that stops between an approval and its execution loses nothing and trades once. */
const redis = newRedis();
afterAll(async () => {
  await redis.quit();
});

describe("restart during an approval", () => {
  it("executes an approval queued before the restart, once, and old buttons still work after it", async () => {
    const { db, cleanup } = await tempDatabase();
    const prefix = freshPrefix();
    const settings = testSettings();
    const common = { db, logger: silentLogger, settings, redis, queuePrefix: prefix, sources: [], transports: [], schedule: false } as const;
    try {
      // Process 1 has no workers running: the approval is accepted and queued, then it stops.
      const first = await startRuntime({ ...common, roles: [] });
      await seedSnapshot(first.app, { price: 0.6 });
      const approved = await seedProposal(first.app);
      const stillPending = await seedProposal(first.app);
      await approveProposal(first.app, approved, { platform: "telegram", userId: "111", displayName: "alice" });
      await first.stop();
      expect(await db.order.count()).toBe(0);

      // Process 2 starts its workers and picks the queued execution up from Redis.
      const second = await startRuntime({ ...common, roles: ["worker"] });
      try {
        const deadline = Date.now() + 10_000;
        while ((await db.position.count()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        expect(await db.position.count({ where: { proposalId: approved } })).toBe(1);
        // A button pressed on a message posted before the restart reaches the new router.
        const router = createChatRouter(second.app, COMMANDS);
        const outcome = await router.onButton(encodeButton({ kind: "reject", proposalId: stillPending }), { platform: "discord", userId: "222", displayName: "bob" }, { platform: "discord", chatId: "1", messageId: "2" });
        expect(outcome.toast).toMatch(/Rejected/);
        await new Promise((r) => setTimeout(r, 300));
        expect(await db.order.count()).toBe(1);
      } finally {
        await second.stop();
      }
    } finally {
      await cleanup();
    }
  });
});
