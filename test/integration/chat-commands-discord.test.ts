/**
 * The same command rules on Discord: the real router and commands behind the real discord.js
 * (DiscordTransport), against the Discord stand-in, on a real database. Slash command names are
 * fixed there, so what is left to check is option values, refusals and the audit.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { COMMANDS } from "../../commands";
import { createChatRouter } from "../../src/chat/chat-router";
import { DiscordTransport } from "../../src/chat/discord/discord-transport";
import { silentLogger, testSettings, useRecordingApps, type RecordingApp } from "../support/test-env";
import { DiscordStandIn, type Json } from "../stand-ins/discord-server";
import { deployCommands } from "../support/discord-commands";

const alice = { id: "284101956723015680", username: "alice" };
const mallory = { id: "284101956723015999", username: "mallory_evilname" };

const newApp = useRecordingApps();
let server: DiscordStandIn;
let transport: DiscordTransport;
let env: RecordingApp;

beforeEach(async () => {
  server = new DiscordStandIn();
  await server.start();
  env = await newApp({ settings: { chatRoles: { ...testSettings().chatRoles, discord: { [alice.id]: "admin" } } } });
  await deployCommands(server, COMMANDS, server.guildId);
  transport = new DiscordTransport({ token: server.token, apiRoot: server.apiRoot, channelIds: [server.channelId], guildId: server.guildId, logger: silentLogger });
  await transport.start(createChatRouter(env.app, COMMANDS), COMMANDS);
});

afterEach(async () => {
  await transport.stop();
  await server.stop();
});

/** What the user sees after a slash command: the edited deferral (public) or an ephemeral follow-up. */
async function answerTo(id: string): Promise<{ content: string; ephemeral: boolean }> {
  const response = await server.waitFor(() => server.interactionResponses.find((r) => r.interactionId === id && (r.type === "edit-original" || r.type === "follow-up")), 5_000);
  const data: Json = response.data;
  return { content: String(data.content), ephemeral: response.type === "follow-up" && (Number(data.flags) & 64) === 64 };
}

describe("chat commands through Discord", () => {
  it("answers an option with a wrong value with the usage line, only to the sender", async () => {
    const answer = await answerTo(server.runSlashCommand(alice, "resume", { override: "tomorrow" }));
    expect(answer).toEqual({ content: "Usage: /resume, or /resume override to lift a drawdown pause early", ephemeral: true });
  });

  it("refuses a stranger ephemerally and without their name, once a minute, and audits each time", async () => {
    const first = await answerTo(server.runSlashCommand(mallory, "status"));
    expect(first.ephemeral).toBe(true);
    expect(first.content).toMatch(/^You are not allowed to use \/status\..*DISCORD_VIEWER_USER_IDS/);
    expect(first.content).not.toMatch(/mallory|evilname|284101956723015999/i);

    const second = server.runSlashCommand(mallory, "pnl");
    await server.waitFor(() => server.requests.filter((r) => r.method === "DELETE").length === 2 || undefined, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.interactionResponses.filter((r) => r.interactionId === second).map((r) => r.type)).toEqual([5]);
    const rows = await env.app.db.auditLog.findMany({ where: { userId: mallory.id }, orderBy: { id: "asc" } });
    expect(rows.map((r) => [r.platform, r.action, r.outcome, /not answered/.test(r.detail ?? "")])).toEqual([
      ["discord", "/status", "refused", false], ["discord", "/pnl", "refused", true],
    ]);
  });

  it("answers and audits a read command for an allowed user in the channel", async () => {
    const answer = await answerTo(server.runSlashCommand(alice, "pnl"));
    expect(answer.ephemeral).toBe(false);
    expect(answer.content).toMatch(/^PnL \(paper\)/);
    const rows = await env.app.db.auditLog.findMany();
    expect(rows.map((r) => [r.platform, r.userId, r.action, r.outcome])).toEqual([["discord", alice.id, "/pnl", "ok"]]);
  });
});
