import { afterAll, describe, expect, it } from "vitest";
import { TelegramServer } from "../stand-ins/telegram-server";
import { ALICE, DESK_CHAT, cleanupHarness, freePort, waitFor, withScenario } from "../support/process-harness";

/**
 * Issue 9: Telegram down when `npm start` (all roles, one OS process) begins. The bot role keeps
 * retrying in the background: the process stays up, the worker polls the exchange and the web
 * role answers /health; once Telegram is reachable the bot connects by itself, delivers what was
 * queued meanwhile and answers commands. The failure is logged once, the recovery once.
 */
const TIMEOUT_MS = 120_000;

afterAll(async () => {
  await cleanupHarness();
});

const logLines = (output: string, message: RegExp): number =>
  output.split("\n").filter((line) => {
    try {
      return message.test((JSON.parse(line) as { msg?: string }).msg ?? "");
    } catch {
      return false;
    }
  }).length;

describe("npm start with Telegram unreachable at start", () => {
  it("keeps the worker and web roles running, and the bot connects and answers once Telegram is back", { timeout: TIMEOUT_MS }, async () => {
    // Nothing listens on this port yet: every Telegram call is refused at the TCP level.
    const telegramPort = await freePort();
    await withScenario({ env: { TELEGRAM_API_ROOT: `http://127.0.0.1:${telegramPort}` } }, async (s) => {
      const proc = await s.start("all");
      await proc.waitForOutput(/chat could not start/, 30_000);

      // The worker works: market data is polled and stored although the bot has no Telegram.
      await waitFor(() => s.count(`SELECT count(*) FROM "MarketSnapshot"`) > 0, 30_000, "a market snapshot from the worker");
      // The web role answers.
      const port = Number((await proc.waitForOutput(/"port":(\d+)[^\n]*web listening/, 10_000))[1]);
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);
      // A few retries later (1 s, 2 s, 4 s …) the process is still up, and said so only once.
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      expect(proc.isAlive()).toBe(true);
      expect(logLines(proc.output(), /chat could not start/)).toBe(1);

      // Telegram comes back on that address, with the same bot.
      const telegram = new TelegramServer({ token: s.telegram.token });
      await telegram.start(telegramPort);
      try {
        await proc.waitForOutput(/chat connected after failing to start; recovered/, 90_000);
        // What the worker queued meanwhile (the proposal card of the served funding anomaly) arrives.
        await telegram.waitFor(() => telegram.sentMessages.find((m) => m.replyMarkup !== undefined), 30_000);
        telegram.injectCommand(ALICE, DESK_CHAT, "/status");
        const reply = await telegram.waitFor(() => telegram.sentMessages.find((m) => m.chatId === DESK_CHAT && m.text.startsWith("perpbot — ")), 20_000);
        expect(reply.text).toMatch(/^perpbot — PAPER/);
        expect(logLines(proc.output(), /chat connected after failing to start; recovered/)).toBe(1);

        const exit = await proc.stop(20_000);
        expect(exit.code).toBe(0);
      } finally {
        await telegram.stop();
      }
    });
  });
});
