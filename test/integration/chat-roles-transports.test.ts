/**
 * Roles as users meet them: the real router and commands behind the real telegraf and discord.js,
 * against the stand-ins, on a real database. A viewer may read, not pause and not approve; the
 * refusal is for them only and names the role, and nothing changes.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { COMMANDS } from "../../commands";
import { encodeButton } from "../../src/chat/callback-codec";
import { createChatRouter } from "../../src/chat/chat-router";
import { DiscordTransport } from "../../src/chat/discord/discord-transport";
import { TelegramTransport } from "../../src/chat/telegram/telegram-transport";
import { seedProposal } from "../support/fixtures";
import { RecordingProxy } from "../support/recording-proxy";
import { silentLogger, testSettings, useRecordingApps } from "../support/test-env";
import { DiscordStandIn, type Json } from "../stand-ins/discord-server";
import { deployCommands } from "../support/discord-commands";
import { TelegramServer } from "../stand-ins/telegram-server";

const newApp = useRecordingApps();
let stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.reverse()) await stop();
  stops = [];
});

describe("roles through Telegram", () => {
  const DESK = -1001234567890;
  const VERA = { id: 101, first_name: "Vera Viewer", username: "vera_reads" };
  const ADA = { id: 111, first_name: "Ada Admin", username: "ada" };

  async function start() {
    const server = new TelegramServer({ botUsername: "perpbot_bot" });
    await server.start();
    const proxy = new RecordingProxy(() => server.apiRoot);
    await proxy.start();
    const env = await newApp({ settings: testSettings({ chatRoles: { telegram: { [VERA.id]: "viewer", [ADA.id]: "admin" }, discord: {} } }) });
    const transport = new TelegramTransport({ token: server.token, apiRoot: proxy.root, chatIds: [String(DESK)], logger: silentLogger, rateLimit: { secondMs: 20 } });
    await transport.start(createChatRouter(env.app, COMMANDS), COMMANDS);
    stops.push(() => server.stop(), () => proxy.stop(), () => transport.stop());
    /** The update telegraf fetched for a message typed in the desk, and the bot's sendMessage answering it. */
    const exchange = (text: string) => {
      const updates = proxy.calls.filter((c) => c.path.endsWith("/getUpdates")).flatMap((c) => (c.responseBody as { result?: { message?: { message_id: number; text?: string } }[] } | null)?.result ?? []);
      const asked = updates.find((u) => u.message?.text === text)?.message;
      const sent = proxy.calls.filter((c) => c.path.endsWith("/sendMessage")).map((c) => c.requestBody as { chat_id: number; text: string; reply_parameters?: { message_id: number } });
      return { asked, sent };
    };
    return { server, env, transport, exchange };
  }

  it("a viewer's /pause in the group is refused as a reply to their own message, naming the role, not their name", async () => {
    const { server, env, exchange } = await start();
    const before = server.sentMessages.length;
    server.injectCommand(VERA, DESK, "/pause");
    const reply = await server.waitFor(() => server.sentMessages[before], 5_000);
    expect(reply.text).toBe("/pause needs the admin role; you are a viewer.");
    expect(reply.text).not.toMatch(/Vera|vera_reads/);
    // The proxy records a call once its answer is back, a moment after the stand-in saw it: wait for it.
    await server.waitFor(() => exchange("/pause").sent.find((m) => m.text === reply.text), 5_000);
    const { asked, sent } = exchange("/pause");
    expect(asked).toBeDefined();
    expect(sent.find((m) => m.text === reply.text)?.reply_parameters?.message_id).toBe(asked?.message_id); // private where Telegram allows: a reply to the sender
    expect(await env.app.db.setting.count()).toBe(0); // not paused
    const rows = await env.app.db.auditLog.findMany({ where: { userId: String(VERA.id) } });
    expect(rows.map((r) => [r.platform, r.action, r.outcome, r.detail])).toEqual([["telegram", "/pause", "refused", "needs admin, has viewer"]]);

    // The same viewer may read.
    const next = server.sentMessages.length;
    server.injectCommand(VERA, DESK, "/status");
    expect((await server.waitFor(() => server.sentMessages[next], 5_000)).text).toMatch(/^perpbot — PAPER trading ACTIVE/);
  });

  it("a viewer pressing Approve gets a refusal toast, the proposal stays pending; an admin's press approves", async () => {
    const { server, env, transport } = await start();
    const id = await seedProposal(env.app);
    const data = encodeButton({ kind: "approve", proposalId: id });
    const [card] = await transport.broadcast({ text: "Proposal", buttons: [{ label: "Approve", data, style: "primary" }] });
    server.pressButton(VERA, DESK, Number(card?.messageId), data);
    const toast = await server.waitFor(() => server.callbackAnswers[0], 5_000);
    expect(toast.text).toBe("This button needs the approver role; you are a viewer.");
    expect((await env.app.db.proposal.findUniqueOrThrow({ where: { id } })).status).toBe("pending");
    expect(env.executions).toEqual([]);
    expect(server.edits).toEqual([]);

    server.pressButton(ADA, DESK, Number(card?.messageId), data);
    expect((await server.waitFor(() => server.callbackAnswers[1], 5_000)).text).toBe("Approving…"); // at once; the card shows the outcome
    await vi.waitFor(async () => expect((await env.app.db.proposal.findUniqueOrThrow({ where: { id } })).status).toBe("approved"), { timeout: 5_000 });
    // The execution is handed over after the approval's commit (the outbox), so it may come a moment later.
    await vi.waitFor(() => expect(env.executions).toEqual([id]), { timeout: 5_000 });
  });
});

describe("roles through Discord", () => {
  const vera = { id: "284101956723015601", username: "vera_reads" };
  const paul = { id: "284101956723015602", username: "paul_approves" };

  async function start() {
    const server = new DiscordStandIn();
    await server.start();
    const env = await newApp({ settings: testSettings({ chatRoles: { telegram: {}, discord: { [vera.id]: "viewer", [paul.id]: "approver" } } }) });
    await deployCommands(server, COMMANDS, server.guildId);
    const transport = new DiscordTransport({ token: server.token, apiRoot: server.apiRoot, channelIds: [server.channelId], guildId: server.guildId, logger: silentLogger });
    await transport.start(createChatRouter(env.app, COMMANDS), COMMANDS);
    stops.push(() => server.stop(), () => transport.stop());
    return { server, env, transport };
  }

  /** What the user sees after an interaction: the edited deferral (public), a reply (a press's refusal) or an ephemeral follow-up. */
  async function answerTo(server: DiscordStandIn, id: string): Promise<{ content: string; ephemeral: boolean }> {
    const response = await server.waitFor(() => server.interactionResponses.find((r) => r.interactionId === id && (r.type === "edit-original" || r.type === "follow-up" || r.type === 4)), 5_000);
    const data: Json = response.data;
    return { content: String(data.content), ephemeral: response.type !== "edit-original" && (Number(data.flags) & 64) === 64 };
  }

  it("a viewer's /pause slash command is refused ephemerally, naming the role; an approver's too", async () => {
    const { server, env } = await start();
    expect(await answerTo(server, server.runSlashCommand(vera, "pause", { reason: "lunch" }))).toEqual({ content: "/pause needs the admin role; you are a viewer.", ephemeral: true });
    expect(await answerTo(server, server.runSlashCommand(paul, "pause"))).toEqual({ content: "/pause needs the admin role; you are an approver.", ephemeral: true });
    expect(await env.app.db.setting.count()).toBe(0);
    const rows = await env.app.db.auditLog.findMany({ orderBy: { id: "asc" } });
    expect(rows.map((r) => [r.platform, r.userId, r.action, r.outcome, r.detail])).toEqual([
      ["discord", vera.id, "/pause", "refused", "needs admin, has viewer"], ["discord", paul.id, "/pause", "refused", "needs admin, has approver"],
    ]);
    // The viewer's read is answered in the channel.
    expect(await answerTo(server, server.runSlashCommand(vera, "pnl"))).toMatchObject({ ephemeral: false, content: expect.stringMatching(/^PnL/) as unknown });
  });

  it("a viewer pressing Approve gets an ephemeral refusal and the card is not edited; an approver's press approves", async () => {
    const { server, env, transport } = await start();
    const id = await seedProposal(env.app);
    const data = encodeButton({ kind: "approve", proposalId: id });
    const [card] = await transport.broadcast({ text: "Proposal", buttons: [{ label: "Approve", data, style: "primary" }] });
    const press = server.pressButton(vera, card?.messageId ?? "", data);
    expect(await answerTo(server, press)).toEqual({ content: "This button needs the approver role; you are a viewer.", ephemeral: true });
    expect((await env.app.db.proposal.findUniqueOrThrow({ where: { id } })).status).toBe("pending");
    expect(env.executions).toEqual([]);
    expect(server.edits).toEqual([]);

    const approve = server.pressButton(paul, card?.messageId ?? "", data);
    expect((await answerTo(server, approve)).content).toMatch(/^Approved\./);
    expect((await env.app.db.proposal.findUniqueOrThrow({ where: { id } })).status).toBe("approved");
    expect(env.executions).toEqual([id]);
  });
});
