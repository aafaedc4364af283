/**
 * The configured roles in the database: written at the start of a process that answers chat,
 * the environment being the truth each time (real SQLite, the real runtime on the local Redis).
 */
import { afterAll, describe, expect, it } from "vitest";
import type { ChatRoles } from "../../src/chat/roles";
import { startRuntime } from "../../src/runtime";
import { ENV_SOURCE, readChatUsers, syncChatUsers } from "../../src/store/chat-users";
import { freshPrefix, newRedis, silentLogger, tempDatabase, testSettings } from "../support/test-env";

const T0 = Date.UTC(2026, 0, 5);
const HOUR = 3_600_000;

describe("stored chat roles", () => {
  it("mirrors the environment at each start: added, changed, removed; unchanged rows keep their date", async () => {
    const { db, cleanup } = await tempDatabase();
    try {
      const first: ChatRoles = { telegram: { "101": "viewer", "102": "admin" }, discord: { "201": "approver" } };
      expect(await syncChatUsers(db, first, T0)).toEqual({ added: 3, changed: 0, removed: 0 });
      expect((await readChatUsers(db)).map((u) => [u.platform, u.userId, u.role, u.source, u.updatedAt.getTime()])).toEqual([
        ["discord", "201", "approver", ENV_SOURCE, T0], ["telegram", "101", "viewer", ENV_SOURCE, T0], ["telegram", "102", "admin", ENV_SOURCE, T0],
      ]);
      // Same environment again: nothing to write.
      expect(await syncChatUsers(db, first, T0 + HOUR)).toEqual({ added: 0, changed: 0, removed: 0 });

      // A row some later source (e.g. /settings) wrote is not the environment's to remove.
      await db.chatUser.create({ data: { platform: "discord", userId: "299", role: "viewer", source: "settings", updatedAt: new Date(T0) } });
      // 101 promoted, 102 removed from the environment, 103 new; the Discord approver unchanged.
      const second: ChatRoles = { telegram: { "101": "approver", "103": "viewer" }, discord: { "201": "approver" } };
      expect(await syncChatUsers(db, second, T0 + 2 * HOUR)).toEqual({ added: 1, changed: 1, removed: 1 });
      expect((await readChatUsers(db)).map((u) => [u.platform, u.userId, u.role, u.source, u.updatedAt.getTime()])).toEqual([
        ["discord", "201", "approver", ENV_SOURCE, T0],
        ["discord", "299", "viewer", "settings", T0],
        ["telegram", "101", "approver", ENV_SOURCE, T0 + 2 * HOUR],
        ["telegram", "103", "viewer", ENV_SOURCE, T0 + 2 * HOUR],
      ]);

      // An empty environment (every role list emptied) removes every row it wrote.
      expect(await syncChatUsers(db, { telegram: {}, discord: {} }, T0 + 3 * HOUR)).toEqual({ added: 0, changed: 0, removed: 3 });
      expect((await readChatUsers(db)).map((u) => u.userId)).toEqual(["299"]);
    } finally {
      await cleanup();
    }
  });

  describe("at process start", () => {
    const redis = newRedis();
    afterAll(async () => {
      await redis.quit();
    });

    it("the bot and web roles write them; a worker alone (maybe started with a narrower environment) leaves them", async () => {
      const { db, cleanup } = await tempDatabase();
      const common = { db, logger: silentLogger, redis, queuePrefix: freshPrefix(), sources: [], transports: [], schedule: false, clock: () => T0 } as const;
      try {
        const web = await startRuntime({ ...common, roles: ["web"], settings: testSettings({ chatRoles: { telegram: { "101": "viewer", "111": "admin" }, discord: {} } }) });
        await web.stop();
        expect((await readChatUsers(db)).map((u) => [u.platform, u.userId, u.role])).toEqual([["telegram", "101", "viewer"], ["telegram", "111", "admin"]]);

        const worker = await startRuntime({ ...common, roles: ["worker"], settings: testSettings({ chatRoles: { telegram: {}, discord: {} } }) });
        await worker.stop();
        expect(await db.chatUser.count()).toBe(2);

        const bot = await startRuntime({ ...common, roles: ["bot"], settings: testSettings({ chatRoles: { telegram: { "111": "admin" }, discord: { "222": "approver" } } }) });
        await bot.stop();
        expect((await readChatUsers(db)).map((u) => [u.platform, u.userId, u.role])).toEqual([["discord", "222", "approver"], ["telegram", "111", "admin"]]);
      } finally {
        await cleanup();
      }
    });
  });
});
