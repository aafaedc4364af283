import type { Server } from "node:http";
import { createServer, type AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { COMMANDS } from "../../commands";
import { createChatRouter } from "../../src/chat/chat-router";
import { TelegramTransport } from "../../src/chat/telegram/telegram-transport";
import { closeQueues, createQueues } from "../../src/queue/queues";
import { startHttpServer } from "../../src/web/http-server";
import { TelegramServer } from "../stand-ins/telegram-server";
import { freshPrefix, newRedis, recordingApp, silentLogger } from "../support/test-env";

/** Webhook mode end to end: Telegram → our web server → telegraf → router → reply. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

describe("web process", () => {
  it("receives Telegram updates by webhook, checks the secret, and serves /health and /queues", async () => {
    const env = await recordingApp();
    const telegram = new TelegramServer();
    await telegram.start();
    const redis = newRedis();
    const queues = createQueues(redis, freshPrefix());
    cleanups.push(env.cleanup, () => telegram.stop(), () => redis.quit(), () => closeQueues(queues));
    const port = await freePort();
    const transport = new TelegramTransport({
      token: telegram.token, apiRoot: telegram.apiRoot, chatIds: ["-100"], logger: silentLogger,
      webhook: { domain: `http://127.0.0.1:${port}`, path: "/telegram/webhook", secretToken: "s3cret-webhook-token" },
    });
    const server: Server = await startHttpServer({ app: env.app, queues, port, telegramWebhook: { path: "/telegram/webhook", handler: transport.webhookCallback() } });
    cleanups.push(() => new Promise((r) => server.close(r)));
    // Bound to this machine only unless HOST says otherwise (nothing on the network reaches /queues).
    expect((server.address() as AddressInfo).address).toBe("127.0.0.1");
    await transport.start(createChatRouter(env.app, COMMANDS), COMMANDS);
    cleanups.push(() => transport.stop());
    expect(telegram.webhook?.url).toBe(`http://127.0.0.1:${port}/telegram/webhook`);

    const forged = telegram.buildCommandUpdate({ id: 111, first_name: "Alice" }, -100, "/pause forged");
    expect(await telegram.deliverViaWebhook(forged, { secretToken: "wrong" })).toBe(403);
    expect(await env.app.db.setting.count()).toBe(0);

    telegram.injectCommand({ id: 111, first_name: "Alice" }, -100, "/pause lunch");
    await telegram.waitFor(() => telegram.sentMessages.find((m) => /Trading is paused/.test(m.text)), 5000);

    const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { ok: boolean; trading: string };
    expect(health).toMatchObject({ ok: true, trading: "paused" });
    const overview = (await (await fetch(`http://127.0.0.1:${port}/queues`)).json()) as { queues: Record<string, { waiting: number }> };
    expect(Object.keys(overview.queues).sort()).toEqual(["calibration", "digest", "execution", "market-poll", "monitor", "notify", "signals"]);
    expect((await fetch(`http://127.0.0.1:${port}/nope`)).status).toBe(404);
  });
});
