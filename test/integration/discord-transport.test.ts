/** The real discord.js (through DiscordTransport) against the local Discord stand-in. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import pino from "pino";
import { DiscordTransport } from "../../src/chat/discord/discord-transport";
import type { ButtonOutcome, ChatHandlers, CommandInfo, Reply } from "../../src/chat/transport";
import { DiscordStandIn, type Json } from "../stand-ins/discord-server";
import { deployCommands } from "../support/discord-commands";

const alice = { id: "284101956723015680", username: "alice" };
const COMMANDS: CommandInfo[] = [
  { name: "status", description: "Show open positions and pending proposals", args: [] },
  {
    name: "size", description: "Size a position",
    args: [
      { name: "symbol", description: "Perp symbol, e.g. BTCUSDT", required: true },
      { name: "risk", description: "Risk in percent of equity", required: false },
    ],
  },
  // Declared optional-first on purpose: Discord only accepts required options first.
  {
    name: "close", description: "Close a position",
    args: [
      { name: "note", description: "Why", required: false },
      { name: "symbol", description: "Perp symbol", required: true },
    ],
  },
];

interface Calls {
  commands: { name: string; args: readonly string[]; actor: unknown }[];
  buttons: { data: string; actor: unknown; message: unknown }[];
}

function handlersReplying(reply: (name: string) => Promise<Reply> | Reply, outcome: (data: string) => Promise<ButtonOutcome> | ButtonOutcome): { handlers: ChatHandlers; calls: Calls } {
  const calls: Calls = { commands: [], buttons: [] };
  return {
    calls,
    handlers: {
      onCommand: async (name, args, actor) => { calls.commands.push({ name, args, actor }); return reply(name); },
      onButton: async (data, actor, message) => { calls.buttons.push({ data, actor, message }); return outcome(data); },
    },
  };
}

function capturingLogger(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  return { lines, logger: pino({ level: "debug" }, { write: (line: string) => { lines.push(line); } }) };
}

const buttonsOf = (components: unknown): Json[] => ((components as Json[])[0]?.components ?? []) as Json[];

let server: DiscordStandIn;
let transport: DiscordTransport | undefined;
let lines: string[];

beforeEach(async () => {
  server = new DiscordStandIn();
  await server.start();
});

afterEach(async () => {
  await transport?.stop();
  transport = undefined;
  await server.stop();
});

/** Deploys COMMANDS where the transport looks for them (as `npm run discord:deploy` would), unless `deployed` says otherwise. */
async function startTransport(handlers: ChatHandlers, options: { guildId?: string; channelIds?: string[]; deployed?: CommandInfo[] } = {}): Promise<DiscordTransport> {
  await deployCommands(server, options.deployed ?? COMMANDS, options.guildId);
  const captured = capturingLogger();
  lines = captured.lines;
  transport = new DiscordTransport({
    token: server.token, apiRoot: server.apiRoot, channelIds: options.channelIds ?? [server.channelId], logger: captured.logger,
    ...(options.guildId === undefined ? {} : { guildId: options.guildId }),
  });
  await transport.start(handlers, COMMANDS);
  return transport;
}

describe("DiscordTransport against the Discord stand-in", () => {
  const noHandlers = (): ChatHandlers => handlersReplying(() => ({ text: "ok" }), () => ({ toast: "ok" })).handlers;
  const commandWrites = (): number => server.requests.filter((r) => r.method === "PUT" && r.path.endsWith("/commands")).length;
  const outOfDate = (): string | undefined => lines.find((l) => l.includes("slash commands out of date: run npm run discord:deploy"));

  it("logs in with the Guilds intent only, registers no commands itself, and is quiet when the deployed ones match", async () => {
    const started = Date.now();
    await startTransport(noHandlers(), { guildId: server.guildId });
    expect(Date.now() - started).toBeLessThan(2_000); // READY + GUILD_CREATE right: no 15 s guild wait
    expect(server.identifies.map((d) => d.intents)).toEqual([1]);
    expect(commandWrites()).toBe(1); // the deploy's; start only reads
    await server.waitFor(() => lines.find((l) => l.includes("slash commands up to date")));
    expect(server.requests.filter((r) => r.method === "GET" && r.path === `/applications/${server.applicationId}/guilds/${server.guildId}/commands`)).toHaveLength(1);
    expect(outOfDate()).toBeUndefined();
  });

  it("warns once at start, naming each difference, when the deployed commands are out of date, and starts anyway", async () => {
    const stale: CommandInfo[] = [
      { name: "status", description: "Show open positions and pending proposals", args: [] },
      { name: "size", description: "Size a position (old text)", args: COMMANDS[1]?.args ?? [] },
      { name: "old", description: "A command perpbot no longer has", args: [] },
    ];
    await startTransport(noHandlers(), { guildId: server.guildId, deployed: stale });
    const warning = JSON.parse(await server.waitFor(outOfDate)) as { level: number; differences: string[] };
    expect(warning.level).toBe(40);
    expect(warning.differences).toEqual(["/size has another description", "/close is not registered", "/old is registered but perpbot has no such command"]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(lines.filter((l) => l.includes("slash commands out of date"))).toHaveLength(1);
    expect(commandWrites()).toBe(1);
  });

  it("compares with the global commands when no guild is configured, and an option change is a difference", async () => {
    const changed = COMMANDS.map((c) => (c.name === "close" ? { ...c, args: c.args.map((a) => ({ ...a, required: true })) } : c));
    await startTransport(noHandlers(), { deployed: changed });
    const warning = JSON.parse(await server.waitFor(outOfDate)) as { differences: string[]; registered: string };
    expect(warning).toMatchObject({ differences: ["/close has other options"], registered: "globally" });
  });

  it("a registry it cannot read is logged and ignored: the bot still starts and answers", async () => {
    server.failNext("GET", /\/commands$/, 1, 403, { message: "Missing Access", code: 50001 });
    const { handlers, calls } = handlersReplying(() => ({ text: "ok" }), () => ({ toast: "" }));
    await startTransport(handlers, { guildId: server.guildId });
    await server.waitFor(() => lines.find((l) => l.includes("could not read the registered slash commands")));
    const id = server.runSlashCommand(alice, "status");
    await server.waitFor(() => server.interactionResponses.find((r) => r.interactionId === id && r.type === "edit-original"));
    expect(calls.commands.map((c) => c.name)).toEqual(["status"]);
    expect(outOfDate()).toBeUndefined();
  });

  it("the deploy registers required options first; deploying again keeps the command ids", async () => {
    await deployCommands(server, COMMANDS, server.guildId);
    expect(server.registeredCommands.map((c) => [c.name, c.guildId])).toEqual([
      ["status", server.guildId], ["size", server.guildId], ["close", server.guildId],
    ]);
    const size = server.registeredCommands.find((c) => c.name === "size");
    expect(size?.options.map((o) => [o.name, o.type, o.required])).toEqual([["symbol", 3, true], ["risk", 3, false]]);
    const close = server.registeredCommands.find((c) => c.name === "close");
    expect(close?.options.map((o) => o.name)).toEqual(["symbol", "note"]);
    const ids = server.registeredCommands.map((c) => c.id);
    await deployCommands(server, COMMANDS, server.guildId);
    expect(server.registeredCommands.map((c) => c.id)).toEqual(ids);
  });

  it("answers a slash command: defers first, passes args in declared order, then edits in text and buttons", async () => {
    const { handlers, calls } = handlersReplying(async () => {
      // The deferral must already be at Discord while the handler still works.
      await server.waitFor(() => server.interactionResponses.find((r) => r.type === 5));
      return { text: "BTCUSDT: 0.5% risk → 0.012 BTC", buttons: [{ label: "Approve", data: "ap:1", style: "primary" }, { label: "Reject", data: "rj:1", style: "danger" }] };
    }, () => ({ toast: "" }));
    await startTransport(handlers, { guildId: server.guildId });

    const id = server.runSlashCommand(alice, "size", { risk: "0.5", symbol: "BTCUSDT" });
    const edit = await server.waitFor(() => server.interactionResponses.find((r) => r.interactionId === id && r.type === "edit-original"));

    expect(calls.commands).toEqual([{ name: "size", args: ["BTCUSDT", "0.5"], actor: { platform: "discord", userId: alice.id, displayName: "alice" } }]);
    const responses = server.interactionResponses.filter((r) => r.interactionId === id);
    expect(responses.map((r) => r.type)).toEqual([5, "edit-original"]);
    expect(Number(responses[0]?.data.flags ?? 0) & 64).toBe(0); // visible to the channel, not ephemeral
    expect(edit.data.content).toBe("BTCUSDT: 0.5% risk → 0.012 BTC");
    expect(buttonsOf(edit.data.components)).toEqual([
      { type: 2, style: 1, label: "Approve", custom_id: "ap:1" },
      { type: 2, style: 4, label: "Reject", custom_id: "rj:1" },
    ]);
  });

  it("keeps gaps for unset optional args, drops trailing ones, and sends a reply without buttons", async () => {
    const { handlers, calls } = handlersReplying(() => ({ text: "done" }), () => ({ toast: "" }));
    await startTransport(handlers, { guildId: server.guildId });
    const a = server.runSlashCommand(alice, "close", { symbol: "ETHUSDT" });
    const b = server.runSlashCommand(alice, "size", { symbol: "SOLUSDT" });
    const editA = await server.waitFor(() => server.interactionResponses.find((r) => r.interactionId === a && r.type === "edit-original"));
    await server.waitFor(() => server.interactionResponses.find((r) => r.interactionId === b && r.type === "edit-original"));
    expect(calls.commands.find((c) => c.name === "close")?.args).toEqual(["", "ETHUSDT"]);
    expect(calls.commands.find((c) => c.name === "size")?.args).toEqual(["SOLUSDT"]);
    expect(editA.data.components).toEqual([]);
  });

  it("answers a private reply (refusal, usage) ephemerally: the public deferral is deleted first", async () => {
    const { handlers } = handlersReplying(() => ({ text: "You are not allowed to use /status.", private: true }), () => ({ toast: "" }));
    await startTransport(handlers, { guildId: server.guildId });
    const id = server.runSlashCommand(alice, "status");
    const followUp = await server.waitFor(() => server.interactionResponses.find((r) => r.interactionId === id && r.type === "follow-up"));
    expect(followUp.data.content).toBe("You are not allowed to use /status.");
    expect(Number(followUp.data.flags) & 64).toBe(64);
    expect(server.requests.filter((r) => r.method === "DELETE" && r.path.endsWith("/messages/@original")).map((r) => r.status)).toEqual([204]);
    expect(server.interactionResponses.filter((r) => r.interactionId === id).map((r) => r.type)).toEqual([5, "follow-up"]);
    // Nothing of it stays visible to the channel: the deferral is gone, the follow-up is ephemeral.
    expect(server.messages.filter((m) => (m.flags & 64) === 0)).toEqual([]);
  });

  it("answers an empty reply (a rate-limited refusal) with nothing: the deferral is deleted, no follow-up", async () => {
    const { handlers, calls } = handlersReplying(() => ({ text: "", private: true }), () => ({ toast: "" }));
    await startTransport(handlers, { guildId: server.guildId });
    const id = server.runSlashCommand(alice, "status");
    await server.waitFor(() => server.requests.some((r) => r.method === "DELETE"));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(calls.commands).toHaveLength(1);
    expect(server.interactionResponses.filter((r) => r.interactionId === id).map((r) => r.type)).toEqual([5]);
    expect(server.messages).toEqual([]);
  });

  it("routes a button press: handler gets data, actor and message; presser gets an ephemeral toast; message is edited", async () => {
    const { handlers, calls } = handlersReplying(() => ({ text: "" }), (data) => ({ toast: `Approved (${data})`, edit: { text: "Approved by alice" } }));
    const started = await startTransport(handlers, { guildId: server.guildId });
    const [ref] = await started.broadcast({ text: "Proposal #1: long BTCUSDT", buttons: [{ label: "Approve", data: "ap:1", style: "primary" }] });
    expect(ref).toBeDefined();

    const id = server.pressButton(alice, ref?.messageId ?? "", "ap:1");
    const toast = await server.waitFor(() => server.interactionResponses.find((r) => r.interactionId === id && r.type === "follow-up"));

    expect(calls.buttons).toEqual([{ data: "ap:1", actor: { platform: "discord", userId: alice.id, displayName: "alice" }, message: ref }]);
    expect(server.interactionResponses.filter((r) => r.interactionId === id).map((r) => r.type)).toEqual([6, "edit-original", "follow-up"]);
    expect(toast.data.content).toBe("Approved (ap:1)");
    expect(Number(toast.data.flags) & 64).toBe(64);
    expect(server.edits).toEqual([expect.objectContaining({ messageId: ref?.messageId, content: "Approved by alice", components: [], via: "interaction" })]);
    expect(server.messages.find((m) => m.id === ref?.messageId)).toMatchObject({ content: "Approved by alice", components: [] });
  });

  it("keeps buttons on the edited message when the outcome gives some, and apologises when a handler throws", async () => {
    const { handlers } = handlersReplying(() => { throw new Error("db down"); }, (data) => {
      if (data === "boom") throw new Error("handler exploded");
      return { toast: "Noted", edit: { text: "Still pending", buttons: [{ label: "Cancel", data: "cx:1", style: "secondary" }] } };
    });
    const started = await startTransport(handlers, { guildId: server.guildId });
    const [ref] = await started.broadcast({ text: "p", buttons: [{ label: "Hold", data: "hd:1", style: "secondary" }, { label: "Boom", data: "boom", style: "danger" }] });
    const messageId = ref?.messageId ?? "";

    const boom = server.pressButton(alice, messageId, "boom");
    const apology = await server.waitFor(() => server.interactionResponses.find((r) => r.interactionId === boom && r.type === "follow-up"));
    expect(apology.data.content).toMatch(/sorry/i);
    expect(Number(apology.data.flags) & 64).toBe(64);
    expect(lines.some((l) => l.includes("handler exploded"))).toBe(true);

    server.pressButton(alice, messageId, "hd:1");
    await server.waitFor(() => server.edits.length === 1 || undefined);
    expect(buttonsOf(server.messages[0]?.components)).toMatchObject([{ style: 2, label: "Cancel", custom_id: "cx:1" }]);

    const command = server.runSlashCommand(alice, "status");
    const reply = await server.waitFor(() => server.interactionResponses.find((r) => r.interactionId === command && r.type === "edit-original"));
    expect(reply.data.content).toMatch(/sorry/i);
  });

  it("broadcasts with the right button styles, skips a failing channel, splits long texts and edits by ref", async () => {
    const missingChannel = "1100000000000000000";
    const started = await startTransport(handlersReplying(() => ({ text: "" }), () => ({ toast: "" })).handlers, { channelIds: [missingChannel, server.channelId] });
    const refs = await started.broadcast({
      text: "Funding anomaly: ETHUSDT",
      buttons: [{ label: "Go", data: "g", style: "primary" }, { label: "Stop", data: "s", style: "danger" }, { label: "Later", data: "l", style: "secondary" }],
    });
    expect(refs).toEqual([{ platform: "discord", chatId: server.channelId, messageId: server.messages[0]?.id }]);
    expect(buttonsOf(server.messages[0]?.components).map((b) => [b.label, b.style, b.custom_id])).toEqual([["Go", 1, "g"], ["Stop", 4, "s"], ["Later", 2, "l"]]);
    expect(lines.some((l) => l.includes(missingChannel) && l.includes("skipped"))).toBe(true);

    const long = `${"a".repeat(1_500)}\n${"b".repeat(1_500)}\n${"c".repeat(100)}`;
    const [longRef] = await started.broadcast({ text: long, buttons: [{ label: "Ok", data: "ok", style: "primary" }] });
    const parts = server.messages.slice(1);
    expect(parts.map((m) => m.content.length)).toEqual([1_500, 1_601]);
    expect(parts.map((m) => m.components.length)).toEqual([0, 1]);
    expect(longRef?.messageId).toBe(parts[1]?.id);

    await started.edit(refs[0] ?? { platform: "discord", chatId: "", messageId: "" }, { text: "Funding anomaly: ETHUSDT (expired)" });
    expect(server.edits).toEqual([expect.objectContaining({ messageId: refs[0]?.messageId, content: "Funding anomaly: ETHUSDT (expired)", components: [], via: "channel" })]);
  });

  it("lets discord.js wait out a 429 on POST /channels/:id/messages and retry", async () => {
    const started = await startTransport(handlersReplying(() => ({ text: "" }), () => ({ toast: "" })).handlers);
    server.failNext("POST", /^\/channels\/\d+\/messages$/, 1, 429, { message: "You are being rate limited.", retry_after: 0.3, global: false }, {
      "X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": "0.3", "X-RateLimit-Bucket": "stand-in-bucket", "X-RateLimit-Scope": "user",
    });
    const began = Date.now();
    const refs = await started.broadcast({ text: "after the rate limit" });
    expect(Date.now() - began).toBeGreaterThanOrEqual(280);
    expect(server.requests.filter((r) => r.method === "POST" && r.path.endsWith("/messages")).map((r) => r.status)).toEqual([429, 200]);
    expect(server.messages.map((m) => m.content)).toEqual(["after the rate limit"]);
    expect(refs).toHaveLength(1);
    expect(lines.some((l) => l.includes("rate limit"))).toBe(true);
  });

  it("fails start with a clear message that never contains the token when the token is wrong", async () => {
    const wrong = `${server.token.slice(0, -6)}XXXXXX`;
    const { logger, lines: logLines } = capturingLogger();
    const bad = new DiscordTransport({ token: wrong, apiRoot: server.apiRoot, channelIds: [server.channelId], logger });
    const error = await bad.start(handlersReplying(() => ({ text: "" }), () => ({ toast: "" })).handlers, COMMANDS).then(() => null, (e: unknown) => e as Error);
    expect(error?.message).toMatch(/DISCORD_BOT_TOKEN/);
    expect(error?.message).toMatch(/Reset Token/);
    expect(error?.message).not.toContain(wrong);
    expect(error?.message).not.toContain(wrong.split(".")[2]);
    expect(logLines.join("\n")).not.toContain(wrong.split(".")[2]);
    expect(server.requests.find((r) => r.path === "/gateway/bot")?.status).toBe(401);
    expect(server.registeredCommands).toEqual([]);
    await bad.stop(); // idempotent after a failed start
  });
});
