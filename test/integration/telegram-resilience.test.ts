import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TelegramTransport, type TelegramTransportOptions } from "../../src/chat/telegram/telegram-transport";
import { DeliveryError, type ButtonOutcome, type ChatHandlers, type OutgoingMessage } from "../../src/chat/transport";
import { createLogger } from "../../src/log";
import { TelegramServer } from "../stand-ins/telegram-server";

/**
 * Issue 9 on the real telegraf client against the stand-in: polling survives 409 and 401 (and
 * says so once each way), and a 429 is waited out within a bounded time or handed to the caller
 * as a typed DeliveryError with Telegram's retry_after.
 */
const ALICE = { id: 4242, first_name: "Alice" };
const CHAT = 4242;
const DESK = -1001234567890;
const COMMANDS = [{ name: "status", description: "Bot and market status", args: [] }];
const BACKOFF = { initialMs: 20, maxMs: 160 };

const router: ChatHandlers = {
  onCommand: (name): Promise<OutgoingMessage> => Promise.resolve({ text: `ran ${name}` }),
  onButton: (): Promise<ButtonOutcome> => Promise.resolve({ toast: "Approved" }),
};

let server: TelegramServer;
let logLines: string[];
const transports: TelegramTransport[] = [];

function transport(extra: Partial<TelegramTransportOptions> = {}): TelegramTransport {
  const logger = createLogger({ level: "debug", secrets: [], destination: { write: (line: string) => { logLines.push(line); } } });
  const created = new TelegramTransport({
    token: server.token, apiRoot: server.apiRoot, chatIds: [String(CHAT), String(DESK)], logger,
    rateLimit: { secondMs: 20, maxWaitMs: 200 }, pollBackoff: BACKOFF, ...extra,
  });
  transports.push(created);
  return created;
}

/** Log lines at warn level or above whose message matches. */
const logged = (pattern: RegExp): string[] =>
  logLines.filter((line) => pattern.test((JSON.parse(line) as { msg?: string }).msg ?? ""));

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

beforeEach(async () => {
  server = new TelegramServer();
  await server.start();
  logLines = [];
});

afterEach(async () => {
  for (const t of transports.splice(0)) await t.stop();
  await server.stop();
  expect(logLines.join("\n")).not.toContain(server.token);
});

describe("Telegram polling through failures", () => {
  it("keeps polling through a 409 storm with backoff, logs it once each way, and answers a command after it", async () => {
    await transport().start(router, COMMANDS);
    server.setConflict(true); // an overlapping deploy polls with the same token
    await sleep(1_000);
    const pollsDuringConflict = server.calls.filter((m) => m === "getupdates").length;
    // Backoff, not a busy loop: 20, 40, 80, 160, 160 … ms ⇒ well under 20 polls in a second.
    expect(pollsDuringConflict).toBeGreaterThanOrEqual(4);
    expect(pollsDuringConflict).toBeLessThan(20);

    server.setConflict(false); // the old deployment is gone
    server.injectCommand(ALICE, CHAT, "/status");
    const reply = await server.waitFor(() => server.sentMessages[0], 3_000);
    expect(reply.text).toBe("ran status");
    expect(logged(/^Telegram polling failed \(409/)).toHaveLength(1);
    expect(logged(/Telegram polling recovered/)).toHaveLength(1);
  });

  it("keeps polling through 401 answers and a 502 outage, and answers a button press after", async () => {
    const t = transport();
    await t.start(router, COMMANDS);
    const [card] = await t.broadcast({ text: "Long MNT?", buttons: [{ label: "Approve", data: "p:a:1", style: "primary" }] });
    if (card === undefined) throw new Error("no card sent");

    server.setOutage({ error_code: 401, description: "Unauthorized" });
    await sleep(300);
    server.setOutage({ error_code: 502, description: "Bad Gateway" });
    await sleep(300);
    server.setOutage(undefined);
    server.pressButton(ALICE, CHAT, Number(card.messageId), "p:a:1");
    const answer = await server.waitFor(() => server.callbackAnswers[0], 3_000);
    expect(answer.text).toBe("Approved");
    // One failure episode (401 then 502 without a success between): one error line, one recovery.
    expect(logged(/^Telegram polling failed/)).toHaveLength(1);
    expect(logged(/Telegram polling recovered/)).toHaveLength(1);
  });
});

describe("Telegram 429 (flood control)", () => {
  it("honours retry_after within the budget and delivers each chat's message exactly once", async () => {
    const t = transport();
    await t.start(router, COMMANDS);
    server.failNext("sendMessage", 1, TelegramServer.tooManyRequests(5)); // 5 "seconds" = 100 ms here
    const started = Date.now();
    const refs = await t.broadcast({ text: "Stop hit on MNT" });

    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
    expect(refs.map((r) => r.chatId).sort()).toEqual([String(DESK), String(CHAT)].sort());
    expect(server.sentMessages.filter((m) => m.text === "Stop hit on MNT").map((m) => m.chatId).sort((a, b) => a - b)).toEqual([DESK, CHAT]);
  });

  it("throws a DeliveryError with retry_after when the wait exceeds the budget, without waiting it, keeping what landed", async () => {
    const t = transport();
    await t.start(router, COMMANDS);
    server.floodChat(CHAT, 30); // 600 ms, beyond the 200 ms budget
    const started = Date.now();
    const error = await t.broadcast({ text: "Funding alert" }).then(() => null, (e: unknown) => e);

    expect(Date.now() - started).toBeLessThan(150);
    expect(error).toBeInstanceOf(DeliveryError);
    const delivery = error as DeliveryError;
    expect(delivery.retryAfterMs).toBe(30 * 20);
    expect(delivery.delivered.map((r) => r.chatId)).toEqual([String(DESK)]);
    expect(server.sentMessages.map((m) => m.chatId)).toEqual([DESK]);
    // A retry that skips the chat already served posts to the flooded chat only.
    server.floodChat(CHAT, undefined);
    await t.broadcast({ text: "Funding alert" }, new Set([String(DESK)]));
    expect(server.sentMessages.map((m) => m.chatId)).toEqual([DESK, CHAT]);
  });

  it("waits at most the budget in total across repeated 429s", async () => {
    const t = transport();
    await t.start(router, COMMANDS);
    server.failNext("editMessageText", 50, TelegramServer.tooManyRequests(3)); // 60 ms each, forever
    const [ref] = await t.broadcast({ text: "Card v1" });
    if (ref === undefined) throw new Error("no message sent");
    const started = Date.now();
    const error = await t.edit(ref, { text: "Card v2" }).then(() => null, (e: unknown) => e);

    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(DeliveryError);
    expect(elapsed).toBeGreaterThanOrEqual(180 - 5); // three waits of 60 ms fit the 200 ms budget
    expect(elapsed).toBeLessThan(400);
  });
});
