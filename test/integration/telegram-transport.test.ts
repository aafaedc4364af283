import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TelegramTransport, type TelegramTransportOptions } from "../../src/chat/telegram/telegram-transport";
import type { Actor, ButtonOutcome, ChatHandlers, CommandInfo, MessageRef, OutgoingMessage } from "../../src/chat/transport";
import { createLogger } from "../../src/log";
import { TelegramServer } from "../stand-ins/telegram-server";

const ALICE = { id: 4242, first_name: "Alice", username: "alice_trades" };
const CHAT = 4242;
const DESK = -1001234567890;
const COMMANDS: CommandInfo[] = [
  { name: "status", description: "Bot and market status", args: [] },
  { name: "approve", description: "Approve a proposal", args: [{ name: "id", description: "proposal id", required: true }] },
];
const APPROVE_BUTTONS = [
  { label: "✅ Approve", data: "p:a:17", style: "primary" as const },
  { label: "❌ Reject", data: "p:r:17", style: "danger" as const },
];

/** Records what the transport hands to the router; replies are scripted per test. */
class FakeRouter implements ChatHandlers {
  readonly commands: { name: string; args: readonly string[]; actor: Actor }[] = [];
  readonly buttons: { data: string; actor: Actor; message: MessageRef }[] = [];
  reply: (name: string, args: readonly string[]) => OutgoingMessage = (name, args) => ({ text: `ran ${name} ${args.join(",")}` });
  outcome: (data: string) => ButtonOutcome = () => ({ toast: "Approved", edit: { text: "Proposal 17 approved by Alice" } });

  onCommand(name: string, args: readonly string[], actor: Actor): Promise<OutgoingMessage> {
    this.commands.push({ name, args, actor });
    return Promise.resolve().then(() => this.reply(name, args));
  }

  onButton(data: string, actor: Actor, message: MessageRef): Promise<ButtonOutcome> {
    this.buttons.push({ data, actor, message });
    return Promise.resolve().then(() => this.outcome(data));
  }
}

let server: TelegramServer;
let router: FakeRouter;
let logLines: string[];
const transports: TelegramTransport[] = [];
const servers: Server[] = [];

function transport(extra: Partial<TelegramTransportOptions> = {}): TelegramTransport {
  // No secrets given to the logger on purpose: the transport itself must keep the token out of logs.
  const logger = createLogger({ level: "debug", secrets: [], destination: { write: (line: string) => { logLines.push(line); } } });
  const created = new TelegramTransport({
    token: server.token, apiRoot: server.apiRoot, chatIds: [String(CHAT), String(DESK)], logger,
    rateLimit: { secondMs: 20 }, ...extra,
  });
  transports.push(created);
  return created;
}

beforeEach(async () => {
  server = new TelegramServer();
  await server.start();
  router = new FakeRouter();
  logLines = [];
});

afterEach(async () => {
  for (const t of transports.splice(0)) await t.stop();
  for (const s of servers.splice(0)) await new Promise((resolve) => { s.close(resolve); s.closeAllConnections(); });
  await server.stop();
  expect(logLines.join("\n")).not.toContain(server.token);
});

describe("TelegramTransport with long polling", () => {
  it("registers the command menu and dispatches a command with args and actor, replying in the chat", async () => {
    await transport().start(router, COMMANDS);
    expect(server.commands).toEqual([
      { command: "status", description: "Bot and market status" },
      { command: "approve", description: "Approve a proposal" },
    ]);

    server.injectCommand(ALICE, CHAT, "/approve  17   now");
    const reply = await server.waitFor(() => server.sentMessages[0]);

    expect(router.commands).toEqual([
      { name: "approve", args: ["17", "now"], actor: { platform: "telegram", userId: "4242", displayName: "Alice" } },
    ]);
    expect(reply).toMatchObject({ chatId: CHAT, text: "ran approve 17,now", replyMarkup: undefined });
  });

  it("accepts /name@BotName, routes /start and /help, and ignores commands for other bots", async () => {
    await transport().start(router, COMMANDS);
    server.injectCommand(ALICE, DESK, "/status@perpbot_test_bot BTC");
    server.injectCommand(ALICE, DESK, "/status@some_other_bot");
    server.injectCommand(ALICE, CHAT, "/start");
    server.injectCommand(ALICE, CHAT, "/help");
    await server.waitFor(() => server.sentMessages.length === 3);
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(router.commands.map((c) => [c.name, c.args])).toEqual([["status", ["BTC"]], ["start", []], ["help", []]]);
    expect(server.sentMessages.map((m) => m.chatId)).toEqual([DESK, CHAT, CHAT]);
  });

  it("long-polls instead of busy-looping while idle", async () => {
    await transport().start(router, COMMANDS);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(server.calls.filter((m) => m === "getupdates").length).toBeLessThanOrEqual(2);
  });

  it("answers a button press with the toast and edits the message, dropping the buttons", async () => {
    const t = transport();
    await t.start(router, COMMANDS);
    const [ref] = await t.broadcast({ text: "Long MNT 10x?", buttons: APPROVE_BUTTONS });
    if (ref === undefined) throw new Error("broadcast returned no ref");

    const queryId = server.pressButton(ALICE, CHAT, Number(ref.messageId), "p:a:17");
    const edit = await server.waitFor(() => server.edits[0]);
    const answer = await server.waitFor(() => server.callbackAnswers[0]);

    expect(router.buttons).toEqual([{
      data: "p:a:17", actor: { platform: "telegram", userId: "4242", displayName: "Alice" },
      message: { platform: "telegram", chatId: String(CHAT), messageId: ref.messageId },
    }]);
    expect(answer).toMatchObject({ callbackQueryId: queryId, text: "Approved", showAlert: false });
    expect(edit).toEqual({ chatId: CHAT, messageId: Number(ref.messageId), text: "Proposal 17 approved by Alice", replyMarkup: undefined });
  });

  it("keeps buttons on an edit that carries them, and apologises when the handler throws", async () => {
    const t = transport();
    await t.start(router, COMMANDS);
    const [ref] = await t.broadcast({ text: "Long MNT 10x?", buttons: APPROVE_BUTTONS });
    router.outcome = () => ({ toast: "Refreshed", edit: { text: "Long MNT 10x? (refreshed)", buttons: APPROVE_BUTTONS.slice(1) } });
    server.pressButton(ALICE, CHAT, Number(ref?.messageId), "p:x:17");
    const edit = await server.waitFor(() => server.edits[0]);
    expect(edit.replyMarkup).toEqual({ inline_keyboard: [[{ text: "❌ Reject", callback_data: "p:r:17" }]] });

    router.outcome = () => { throw new Error("database is locked"); };
    server.pressButton(ALICE, CHAT, Number(ref?.messageId), "p:a:17");
    const answer = await server.waitFor(() => server.callbackAnswers[1]);
    expect(answer.text).toMatch(/^Sorry, something went wrong/);

    router.reply = () => { throw new Error("boom"); };
    server.injectCommand(ALICE, CHAT, "/status");
    const reply = await server.waitFor(() => server.sentMessages.find((m) => m.text.startsWith("Sorry")));
    expect(reply.chatId).toBe(CHAT);
    expect(server.edits).toHaveLength(1);
  });

  it("stops cleanly right after start, and stop is idempotent", async () => {
    const t = transport();
    await t.start(router, COMMANDS);
    await t.stop();
    await t.stop();
    const callsAfterStop = server.calls.length;
    server.injectCommand(ALICE, CHAT, "/status");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.calls.length).toBe(callsAfterStop);
    expect(router.commands).toEqual([]);
  });

  it("does not start polling when stopped while still starting", async () => {
    const t = transport();
    const starting = t.start(router, COMMANDS);
    await t.stop();
    await starting;
    server.injectCommand(ALICE, CHAT, "/status");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.calls).not.toContain("getupdates");
    expect(router.commands).toEqual([]);
  });
});

describe("Telegram stand-in wire protocol", () => {
  it("answers form and query requests, unknown methods and wrong tokens like the Bot API", async () => {
    const api = `${server.apiRoot}/bot${server.token}`;
    const form = await fetch(`${api}/sendMessage`, { method: "POST", body: new URLSearchParams({ chat_id: "42", text: "hi" }) });
    expect(await form.json()).toMatchObject({ ok: true, result: { message_id: 1, chat: { id: 42, type: "private" }, text: "hi" } });
    const multipart = new FormData();
    multipart.set("chat_id", "42");
    multipart.set("text", "");
    const empty = await fetch(`${api}/sendMessage`, { method: "POST", body: multipart });
    expect([empty.status, await empty.json()]).toEqual([400, { ok: false, error_code: 400, description: "Bad Request: message text is empty" }]);
    const unknown = await fetch(`${api}/sendTelepathy`);
    expect([unknown.status, await unknown.json()]).toEqual([404, { ok: false, error_code: 404, description: "Not Found" }]);
    const wrong = await fetch(`${server.apiRoot}/bot1:nope/getMe`);
    expect([wrong.status, await wrong.json()]).toEqual([401, { ok: false, error_code: 401, description: "Unauthorized" }]);

    const started = Date.now();
    const poll = fetch(`${api}/getUpdates?timeout=5`).then((r) => r.json() as Promise<{ result: { update_id: number }[] }>);
    setTimeout(() => server.injectCommand(ALICE, CHAT, "/status"), 50);
    const { result } = await poll;
    expect(result).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(1_000);
    const next = await fetch(`${api}/getUpdates?offset=${(result[0]?.update_id ?? 0) + 1}`).then((r) => r.json() as Promise<{ result: unknown[] }>);
    expect(next.result).toEqual([]);
  });
});

describe("TelegramTransport outgoing messages", () => {
  it("broadcasts to every chat with an inline keyboard and returns where each copy landed", async () => {
    const t = transport();
    await t.start(router, COMMANDS);
    const refs = await t.broadcast({ text: "Funding in 30 min: MNT +0.041%", buttons: APPROVE_BUTTONS });

    expect(refs).toEqual([
      { platform: "telegram", chatId: String(CHAT), messageId: "1" },
      { platform: "telegram", chatId: String(DESK), messageId: "1" },
    ]);
    // Sent to both chats at once (one chat's flood wait must not hold the other back): any order.
    expect(server.sentMessages.map((m) => m.chatId).sort((a, b) => a - b)).toEqual([DESK, CHAT]);
    expect(server.sentMessages[1]?.replyMarkup).toEqual({
      inline_keyboard: [[{ text: "✅ Approve", callback_data: "p:a:17" }, { text: "❌ Reject", callback_data: "p:r:17" }]],
    });
  });

  it("skips a chat that fails and still delivers to the others", async () => {
    const t = transport();
    await t.start(router, COMMANDS);
    server.failNext("sendMessage", 1, { error_code: 403, description: "Forbidden: bot was kicked from the group chat" });
    const refs = await t.broadcast({ text: "Daily digest" });
    expect(refs.map((r) => r.chatId)).toEqual([String(DESK)]);
    expect(logLines.join("\n")).toContain("bot was kicked");
  });

  it("waits retry_after on 429 within its budget and then delivers; does not retry other 4xx", async () => {
    const t = transport();
    await t.start(router, COMMANDS);
    server.failNext("sendMessage", 1, { error_code: 429, description: "Too Many Requests: retry after 5", parameters: { retry_after: 5 } });
    const started = Date.now();
    const refs = await t.broadcast({ text: "Signal: short MNT" });

    expect(Date.now() - started).toBeGreaterThanOrEqual(5 * 20 - 5); // 5 "seconds" of 20 ms each
    expect(refs).toHaveLength(2);
    expect(server.calls.filter((m) => m === "sendmessage")).toHaveLength(3);

    server.failNext("sendMessage", 1, { error_code: 400, description: "Bad Request: chat not found" });
    const before = server.calls.length;
    await t.broadcast({ text: "y" });
    expect(server.calls.length - before).toBe(2);
  });

  it("treats an unchanged edit as success and reports a missing message", async () => {
    const t = transport();
    await t.start(router, COMMANDS);
    const [ref] = await t.broadcast({ text: "Proposal 17 approved" });
    if (ref === undefined) throw new Error("broadcast returned no ref");

    await expect(t.edit(ref, { text: "Proposal 17 approved" })).resolves.toBeUndefined();
    expect(server.edits).toEqual([]);
    await t.edit(ref, { text: "Proposal 17 filled" });
    expect(server.edits.map((e) => e.text)).toEqual(["Proposal 17 filled"]);
    await expect(t.edit({ ...ref, messageId: "999" }, { text: "z" })).rejects.toThrow(/message to edit not found/);
  });
});

describe("TelegramTransport start-up errors", () => {
  it("explains a rejected token without revealing it", async () => {
    const wrongToken = `${server.botUser.id}:AAwrong-token-value-0123456789abcdef`;
    const t = transport({ token: wrongToken });
    const error = await t.start(router, COMMANDS).then(() => undefined, (e: unknown) => e);

    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toContain("TELEGRAM_BOT_TOKEN");
    expect(message).toContain("401 Unauthorized");
    expect(message).toContain("@BotFather");
    expect(message).not.toContain(wrongToken);
    expect(message).not.toContain("AAwrong");
    expect(logLines.join("\n")).not.toContain("AAwrong");
  });
});

describe("TelegramTransport with a webhook", () => {
  async function webhookTransport(): Promise<TelegramTransport> {
    const holder: { handle?: ReturnType<TelegramTransport["webhookCallback"]> } = {};
    const web = createServer((req, res) => {
      if (holder.handle === undefined) res.writeHead(503).end();
      else void holder.handle(req, res);
    });
    servers.push(web);
    await new Promise<void>((resolve) => web.listen(0, "127.0.0.1", resolve));
    const port = (web.address() as AddressInfo).port;
    const t = transport({ webhook: { domain: `http://127.0.0.1:${port}`, path: "/telegram/hook", secretToken: "s3cret-hook_token" } });
    holder.handle = t.webhookCallback();
    await t.start(router, COMMANDS);
    return t;
  }

  it("registers the webhook with its secret and does not poll", async () => {
    await webhookTransport();
    expect(server.webhook).toEqual({ url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/telegram\/hook$/) as unknown, secretToken: "s3cret-hook_token" });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.calls).not.toContain("getupdates");
  });

  it("handles updates with the right secret, including the answer sent in the webhook reply", async () => {
    await webhookTransport();
    expect(await server.deliverViaWebhook(server.buildCommandUpdate(ALICE, CHAT, "/status BTC"))).toBe(200);
    expect(server.sentMessages.map((m) => m.text)).toEqual(["ran status BTC"]);

    router.reply = () => ({ text: "Proposal 17: long MNT", buttons: APPROVE_BUTTONS });
    await server.deliverViaWebhook(server.buildCommandUpdate(ALICE, CHAT, "/status"));
    const proposal = server.sentMessages[1];
    if (proposal === undefined) throw new Error("no proposal message");
    const queryId = server.pressButton(ALICE, CHAT, proposal.messageId, "p:a:17");
    const answer = await server.waitFor(() => server.callbackAnswers[0]);
    const edit = await server.waitFor(() => server.edits[0]);

    expect(answer).toMatchObject({ callbackQueryId: queryId, text: "Approved", showAlert: false });
    expect(edit.text).toBe("Proposal 17 approved by Alice");
    expect(server.webhookDeliveries.map((d) => d.status)).toEqual([200, 200, 200]);
  });

  it("rejects an update with a wrong secret (403) without calling the handler", async () => {
    await webhookTransport();
    const status = await server.deliverViaWebhook(server.buildCommandUpdate(ALICE, CHAT, "/status"), { secretToken: "guessed" });
    expect(status).toBe(403);
    expect(router.commands).toEqual([]);
    expect(server.sentMessages).toEqual([]);
  });
});
