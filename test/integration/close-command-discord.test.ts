/**
 * /close as a Discord admin meets it: the real router and commands behind the real discord.js
 * (DiscordTransport) against the Discord stand-in, on a real database. The stand-in keeps
 * Discord's clocks: an interaction must be acknowledged within 3 s of its creation, and its token
 * (edits, follow-ups) works for 15 minutes; tests shorten the second where they need it.
 *
 * The confirmation is the public answer to the slash command (the desk sees what is about to be
 * closed, as on Telegram); only an admin's press acts, everyone else is answered ephemerally.
 */
import { setTimeout as sleep } from "node:timers/promises";
import pino from "pino";
import { afterEach, expect, it } from "vitest";
import { COMMANDS } from "../../commands";
import { CLOSE_CONFIRM_MS } from "../../src/app/close-position";
import { approveProposal } from "../../src/app/decide-proposal";
import { executeProposal } from "../../src/app/execute-proposal";
import type { App } from "../../src/app/context";
import { createChatRouter } from "../../src/chat/chat-router";
import { DiscordTransport } from "../../src/chat/discord/discord-transport";
import type { ChatHandlers } from "../../src/chat/transport";
import { DiscordStandIn, type Json, type StandInUser } from "../stand-ins/discord-server";
import { deployCommands } from "../support/discord-commands";
import { seedProposal } from "../support/fixtures";
import { testSettings, useRecordingApps, type RecordingApp } from "../support/test-env";

const DORA = { id: "284101956723015222", username: "dora" }; // admin
const VICTOR = { id: "284101956723015333", username: "victor_reads" }; // viewer
const MALLORY = { id: "284101956723015999", username: "mallory_evilname" }; // nobody
const MNT = "MNT/USDT:USDT";
const ETH = "ETH/USDT:USDT";

const newApp = useRecordingApps();
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

interface Desk { server: DiscordStandIn; env: RecordingApp; lines: string[] }

/** `slowAfterDecisionMs`: the first press's answer is held back this long after the decision (a stalled process). */
async function desk(options: { tokenLifetimeMs?: number; slowAfterDecisionMs?: number } = {}): Promise<Desk> {
  const server = new DiscordStandIn(options.tokenLifetimeMs === undefined ? {} : { tokenLifetimeMs: options.tokenLifetimeMs });
  await server.start();
  stops.push(() => server.stop());
  const env = await newApp({ settings: testSettings({ symbols: [MNT, ETH], chatRoles: { telegram: {}, discord: { [DORA.id]: "admin", [VICTOR.id]: "viewer" } } }) });
  const lines: string[] = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => { lines.push(line); } });
  const router = createChatRouter(env.app, COMMANDS);
  let slow = options.slowAfterDecisionMs ?? 0;
  const handlers: ChatHandlers = {
    onCommand: (name, args, actor, chatId) => router.onCommand(name, args, actor, chatId),
    onButton: async (data, actor, message, acknowledge) => {
      const outcome = await router.onButton(data, actor, message, acknowledge);
      const wait = slow;
      slow = 0;
      if (wait > 0) await sleep(wait);
      return outcome;
    },
  };
  await deployCommands(server, COMMANDS, server.guildId);
  const transport = new DiscordTransport({ token: server.token, apiRoot: server.apiRoot, channelIds: [server.channelId], guildId: server.guildId, logger });
  await transport.start(handlers, COMMANDS);
  stops.push(() => transport.stop());
  return { server, env, lines };
}

async function openShort(app: App, symbol = MNT, price = 0.6): Promise<string> {
  const id = await seedProposal(app, { side: "short", price, symbol });
  await approveProposal(app, id, { platform: "discord", userId: DORA.id, displayName: "dora" });
  await executeProposal(app, id);
  return id;
}

const typesOf = (server: DiscordStandIn, interactionId: string) => server.interactionResponses.filter((r) => r.interactionId === interactionId).map((r) => r.type);
const statusOf = async (app: App, id: string) => (await app.db.proposal.findUniqueOrThrow({ where: { id } })).status;
const closeIntents = (env: RecordingApp) => env.dispatched.filter((d) => d.startsWith("close-"));

/** Runs /close and returns the card: its message, text, deferral flags and the two buttons' ids. */
async function closeCard(server: DiscordStandIn, target: string) {
  const interactionId = server.runSlashCommand(DORA, "close", { position: target });
  const edit = await server.waitFor(() => server.interactionResponses.find((r) => r.interactionId === interactionId && r.type === "edit-original"), 5_000);
  const deferral = server.interactionResponses.find((r) => r.interactionId === interactionId && r.type === 5);
  const buttons = (((edit.data.components as Json[])[0]?.components ?? []) as Json[]).map((b) => ({ label: b.label, style: b.style, id: String(b.custom_id) }));
  const [confirm, cancel] = buttons;
  if (confirm === undefined || cancel === undefined || edit.messageId === undefined) throw new Error(`no close card: ${String(edit.data.content)}`);
  return { messageId: edit.messageId, text: String(edit.data.content), flags: Number(deferral?.data.flags ?? 0), buttons, confirm: confirm.id, cancel: cancel.id };
}

/** Edits of the card after it was first filled in (that first edit is the slash command's own answer). */
function laterEdits(server: DiscordStandIn, messageId: string) {
  return server.edits.filter((e) => e.messageId === messageId).slice(1);
}

/** The ephemeral answer to a press (its follow-up), once it arrived. */
async function toastOf(server: DiscordStandIn, interactionId: string): Promise<{ content: string; ephemeral: boolean }> {
  // A refusal is the press's one ephemeral reply (type 4); a decision's result follows the deferral.
  const followUp = await server.waitFor(() => server.interactionResponses.find((r) => r.interactionId === interactionId && (r.type === "follow-up" || r.type === 4)), 5_000);
  return { content: String(followUp.data.content), ephemeral: (Number(followUp.data.flags) & 64) === 64 };
}

const press = (server: DiscordStandIn, user: StandInUser, messageId: string, customId: string, ageMs = 0) => server.pressButton(user, messageId, customId, { ageMs });

it("an admin's /close gets a public Confirm close / Cancel card; a viewer's or stranger's press is refused privately, naming no one; the admin's closes once", async () => {
  const { server, env } = await desk();
  const id = await openShort(env.app);
  const refusedCommand = server.runSlashCommand(VICTOR, "close", { position: id });
  expect(await toastOf(server, refusedCommand)).toEqual({ content: expect.stringMatching(/needs the admin role; you are a viewer/) as unknown, ephemeral: true });

  const card = await closeCard(server, id);
  expect(card.text).toMatch(new RegExp(`^Close this position\\?\\n  ${id} ${MNT} SHORT`));
  expect(card.flags & 64).toBe(0); // public: the desk sees what is about to be closed
  expect(card.buttons.map((b) => [b.label, b.style])).toEqual([["Confirm close", 4], ["Cancel", 2]]);

  for (const [user, refusal] of [[VICTOR, /needs the admin role; you are a viewer/], [MALLORY, /^You are not allowed to/]] as const) {
    const pressed = press(server, user, card.messageId, card.confirm);
    const toast = await toastOf(server, pressed);
    expect(toast).toEqual({ content: expect.stringMatching(refusal) as unknown, ephemeral: true });
    expect(toast.content).not.toMatch(/dora|victor|mallory|evilname|2841019567230152|2841019567230153|2841019567230159/i);
    expect(typesOf(server, pressed)).toEqual([4]); // refused in the one reply, the card left as it was
  }
  expect(laterEdits(server, card.messageId)).toEqual([]);
  expect(await statusOf(env.app, id)).toBe("open");

  const confirmed = press(server, DORA, card.messageId, card.confirm);
  expect(await toastOf(server, confirmed)).toEqual({ content: "Closing 1 position: exit order queued.", ephemeral: true });
  expect(typesOf(server, confirmed)).toEqual([6, "edit-original", "follow-up"]);
  expect(laterEdits(server, card.messageId)).toEqual([expect.objectContaining({ content: expect.stringMatching(/^Close confirmed by dora \(discord\)\./) as unknown, components: [], via: "interaction" })]);
  expect(await statusOf(env.app, id)).toBe("closing");
  expect(closeIntents(env)).toEqual([`close-${id}`]);
});

it("a double press closes once: one press closes, the other is told it was already confirmed", async () => {
  const { server, env } = await desk();
  const id = await openShort(env.app);
  const card = await closeCard(server, id);
  const first = press(server, DORA, card.messageId, card.confirm);
  const second = press(server, DORA, card.messageId, card.confirm);
  const toasts = [(await toastOf(server, first)).content, (await toastOf(server, second)).content].sort();
  expect(toasts).toEqual(["Already confirmed by dora (discord); nothing more to close.", "Closing 1 position: exit order queued."]);
  expect(closeIntents(env)).toEqual([`close-${id}`]);
  expect(await statusOf(env.app, id)).toBe("closing");
});

it("Cancel leaves the position open and takes the buttons off the card", async () => {
  const { server, env } = await desk();
  const id = await openShort(env.app);
  const card = await closeCard(server, id);
  const cancelled = press(server, DORA, card.messageId, card.cancel);
  expect(await toastOf(server, cancelled)).toEqual({ content: "Cancelled: nothing will be closed.", ephemeral: true });
  expect(laterEdits(server, card.messageId)).toEqual([expect.objectContaining({ content: "Close cancelled by dora (discord); nothing was closed.", components: [] })]);
  // Discord only lets a user press buttons a message still has.
  expect(() => press(server, DORA, card.messageId, card.confirm)).toThrow(/has no button/);
  expect(await statusOf(env.app, id)).toBe("open");
  expect(closeIntents(env)).toEqual([]);
});

it("a press after the /close interaction's token expired is answered through the press's own token; past the 2-minute offer it closes nothing", async () => {
  const { server, env } = await desk({ tokenLifetimeMs: 1_000 });
  const id = await openShort(env.app);
  const card = await closeCard(server, id);
  await sleep(1_100); // the slash command's token is dead now (15 minutes on Discord)
  env.setNow(env.app.clock() + CLOSE_CONFIRM_MS + 13 * 60_000);
  const late = press(server, DORA, card.messageId, card.confirm);
  expect((await toastOf(server, late)).content).toMatch(/^Close request expired at \d\d:\d\d UTC; nothing was closed\. Send \/close again\.$/);
  expect(typesOf(server, late)).toEqual([6, "edit-original", "follow-up"]);
  expect(server.edits.at(-1)).toMatchObject({ messageId: card.messageId, content: expect.stringMatching(/^Close request expired/) as unknown, components: [] });
  expect(await statusOf(env.app, id)).toBe("open");
  expect(closeIntents(env)).toEqual([]);
});

it("a decision that outlives the press's own token: closed once, the refused edit and follow-up are logged, a later press shows the outcome", async () => {
  const { server, env, lines } = await desk({ tokenLifetimeMs: 1_500, slowAfterDecisionMs: 1_800 });
  const id = await openShort(env.app);
  const card = await closeCard(server, id);
  const stalled = press(server, DORA, card.messageId, card.confirm);
  await server.waitFor(() => lines.find((l) => l.includes("discord interaction failed")), 6_000);
  expect(typesOf(server, stalled)).toEqual([6]); // acknowledged in time; Discord refused what came after
  expect(server.requests.filter((r) => r.path.startsWith(`/webhooks/${server.applicationId}/`)).map((r) => [r.method, r.status])).toEqual([
    ["PATCH", 200], // the /close card itself, long before
    ["PATCH", 401], ["POST", 401],
  ]);
  expect(lines.some((l) => l.includes("editing the button's message failed") && l.includes("Invalid Webhook Token"))).toBe(true);
  expect(await statusOf(env.app, id)).toBe("closing");

  const again = press(server, DORA, card.messageId, card.confirm);
  expect((await toastOf(server, again)).content).toBe("Already confirmed by dora (discord); nothing more to close.");
  expect(server.edits.at(-1)).toMatchObject({ content: expect.stringMatching(/^Close confirmed by dora \(discord\)\./) as unknown, components: [] });
  expect(closeIntents(env)).toEqual([`close-${id}`]);
});

it("a press that reaches the bot after Discord's 3 s deadline is not acted on; pressed again, it closes", async () => {
  const { server, env, lines } = await desk();
  const id = await openShort(env.app);
  const card = await closeCard(server, id);
  press(server, DORA, card.messageId, card.confirm, 3_100);
  await server.waitFor(() => lines.find((l) => l.includes("could not be acknowledged")), 5_000);
  expect(server.requests.filter((r) => r.path.endsWith("/callback")).map((r) => r.status)).toEqual([204, 404]); // the /close deferral, then 10062
  await sleep(100);
  expect(await statusOf(env.app, id)).toBe("open");
  expect(closeIntents(env)).toEqual([]);

  const retry = press(server, DORA, card.messageId, card.confirm);
  expect((await toastOf(server, retry)).content).toBe("Closing 1 position: exit order queued.");
  expect(closeIntents(env)).toEqual([`close-${id}`]);
});

it("/close all lists every open position, and its confirm closes exactly those", async () => {
  const { server, env } = await desk();
  const mnt = await openShort(env.app, MNT, 0.6);
  const eth = await openShort(env.app, ETH, 2000);
  const card = await closeCard(server, "all");
  expect(card.text).toMatch(/^Close ALL 2 open positions\?\n/);
  expect(card.text).toContain(mnt);
  expect(card.text).toContain(eth);
  expect(card.buttons.map((b) => b.label)).toEqual(["Confirm close (2)", "Cancel"]);
  const confirmed = press(server, DORA, card.messageId, card.confirm);
  expect((await toastOf(server, confirmed)).content).toBe("Closing 2 positions: exit orders queued.");
  expect(closeIntents(env).sort()).toEqual([`close-${eth}`, `close-${mnt}`].sort());
  expect([await statusOf(env.app, mnt), await statusOf(env.app, eth)]).toEqual(["closing", "closing"]);
});
