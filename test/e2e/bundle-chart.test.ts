import { afterAll, describe, expect, it } from "vitest";
import { ALICE, DESK_CHAT, cleanupHarness, waitFor, withScenario } from "../support/process-harness";
import { onPostgres } from "../support/test-database";

/**
 * `npm start` runs the bundle (dist/main.js, scripts/build.mjs), where modules no longer sit at
 * their source paths: the chart renderer's child script, the migrations and the shared data are
 * found from the project root. /chart through a real process of the bundle draws its picture in
 * the child and sends it to the chat as a photo.
 */
const TIMEOUT_MS = 90_000;

afterAll(async () => {
  await cleanupHarness();
});

describe("the bundle npm start runs", () => {
  it("answers /chart with the equity chart drawn by its child process", { timeout: TIMEOUT_MS }, async () => {
    await withScenario({}, async (s) => {
      const proc = await s.start("all");
      // The reconciler journals equity every pass (2 s here); the chart needs two readings.
      await waitFor(() => s.count(`SELECT count(*) FROM "EquitySnapshot"`) >= 2, 30_000, "two equity readings");
      s.telegram.injectCommand(ALICE, DESK_CHAT, "/chart all");
      const photo = await s.telegram.waitFor(() => s.telegram.sentPhotos.find((p) => p.chatId === DESK_CHAT), 60_000);
      expect(photo.format).toBe("png"); // the stand-in read the image as Telegram would
      expect(photo.width).toBeGreaterThan(100);
      expect(proc.output()).not.toMatch(/chart renderer failed/);
      // The bot role's SQLite connection runs on its own thread, whose script the bundle finds too.
      if (!onPostgres) expect(proc.output()).toMatch(/"sqliteOnOwnThread":true/);
      expect((await proc.stop(20_000)).code).toBe(0);
    });
  });
});
