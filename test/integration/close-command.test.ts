/**
 * /close through the real router on a real database: it only asks; the Confirm button closes
 * through the trade lifecycle's exit path (a close intent in the outbox, the exit order sent by
 * the same closeTrade the queue runs), once, however often or late it is pressed.
 */
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../commands";
import { CLOSE_CONFIRM_MS } from "../../src/app/close-position";
import { approveProposal } from "../../src/app/decide-proposal";
import { closeTrade, executeProposal } from "../../src/app/execute-proposal";
import { monitorTrades } from "../../src/app/monitor-trades";
import type { App } from "../../src/app/context";
import { decodeButton, encodeButton } from "../../src/chat/callback-codec";
import { createChatRouter } from "../../src/chat/chat-router";
import type { Actor, MessageRef, Reply } from "../../src/chat/transport";
import { useRecordingApps } from "../support/test-env";
import { seedProposal, seedSnapshot } from "../support/fixtures";

const admin: Actor = { platform: "telegram", userId: "111", displayName: "alice" };
const discordAdmin: Actor = { platform: "discord", userId: "222", displayName: "dora" };
const viewer: Actor = { platform: "telegram", userId: "333", displayName: "victor" };
const approver: Actor = { platform: "telegram", userId: "444", displayName: "ann" };
const stranger: Actor = { platform: "telegram", userId: "999", displayName: "mallory" };
const ref: MessageRef = { platform: "telegram", chatId: "-100", messageId: "42" };
const MNT = "MNT/USDT:USDT";
const ETH = "ETH/USDT:USDT";

const newApp = useRecordingApps();

async function setup() {
  const env = await newApp({
    now: Date.UTC(2026, 0, 5, 1),
    settings: { symbols: [MNT, ETH], chatRoles: { telegram: { "111": "admin", "333": "viewer", "444": "approver" }, discord: { "222": "admin" } } },
  });
  return { ...env, router: createChatRouter(env.app, COMMANDS) };
}

async function openShort(app: App, symbol = MNT, price = 0.6): Promise<string> {
  const id = await seedProposal(app, { side: "short", price, symbol });
  await approveProposal(app, id, admin);
  await executeProposal(app, id);
  return id;
}

function buttons(reply: Reply): { confirm: string; cancel: string } {
  const [confirm, cancel] = reply.buttons ?? [];
  if (confirm === undefined || cancel === undefined) throw new Error(`no buttons on: ${reply.text}`);
  expect([confirm.label, cancel.label]).toEqual([expect.stringMatching(/^Confirm close/) as unknown, "Cancel"]);
  return { confirm: confirm.data, cancel: cancel.data };
}

const statusOf = async (app: App, id: string) => (await app.db.proposal.findUniqueOrThrow({ where: { id } })).status;
const closeIntents = (dispatched: readonly string[]) => dispatched.filter((d) => d.startsWith("close-"));

describe("/close", () => {
  it("asks first: nothing is closed by the command, the confirmation carries two buttons within 64 bytes", async () => {
    const { app, router, dispatched } = await setup();
    const id = await openShort(app);
    const reply = await router.onCommand("close", [id], admin);
    expect(reply.text).toMatch(new RegExp(`^Close this position\\?\\n  ${id} ${MNT} SHORT 8,333\\.333 MNT on bybit, mark 0\\.6, unrealized -?[\\d.,]+ USDT net\\nNothing is closed until an admin presses Confirm close, within 2 minutes \\(until 01:02 UTC\\)`));
    expect(reply.private).toBeUndefined(); // public, so the buttons show on every app
    const { confirm, cancel } = buttons(reply);
    for (const data of [confirm, cancel]) expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
    expect(decodeButton(confirm)).toMatchObject({ kind: "close-confirm", proposalId: id });
    expect(decodeButton(cancel)).toMatchObject({ kind: "close-cancel", proposalId: id });
    expect(await statusOf(app, id)).toBe("open");
    expect(closeIntents(dispatched)).toEqual([]);
  });

  it("Confirm closes once through the lifecycle's exit path; a second press, also from the other app, closes nothing more", async () => {
    const { app, router, dispatched } = await setup();
    const id = await openShort(app);
    const { confirm } = buttons(await router.onCommand("close", [id], admin));
    const first = await router.onButton(confirm, admin, ref);
    expect(first.toast).toBe("Closing 1 position: exit order queued.");
    expect(first.edit).toEqual({ text: `Close confirmed by alice (telegram). The fills follow on each position's card.\n  ${id} ${MNT} short: exit order queued` });
    expect(await statusOf(app, id)).toBe("closing");
    // The exit is an intent in the outbox, written with the state: the queue (or after a restart, the reconciler) sends it.
    expect(await app.db.intent.findUniqueOrThrow({ where: { id: `close-${id}` } })).toMatchObject({ kind: "close", status: "pending" });
    const again = await router.onButton(confirm, admin, ref);
    expect(again.toast).toBe("Already confirmed by alice (telegram); nothing more to close.");
    expect((await router.onButton(confirm, discordAdmin, { platform: "discord", chatId: "c1", messageId: "m1" })).toast).toBe("Already confirmed by alice (telegram); nothing more to close.");
    expect(closeIntents(dispatched)).toEqual([`close-${id}`]);
    // The queue runs the close job (twice, as a retry would): one exit order, closed as manual.
    await closeTrade(app, id);
    await closeTrade(app, id);
    expect(await statusOf(app, id)).toBe("closed");
    expect(await app.db.order.count({ where: { proposalId: id } })).toBe(2);
    expect((await app.db.position.findUniqueOrThrow({ where: { proposalId: id } })).closeReason).toBe("manual");
    const audits = await app.db.auditLog.findMany({ where: { action: "close-confirm" }, orderBy: { id: "asc" } });
    expect(audits.map((a) => [a.userId, a.outcome, a.target, a.detail])).toEqual([
      ["111", "ok", id, `closing ${id}`], ["111", "ok", id, "closing none (repeated press)"], ["222", "ok", id, "closing none (repeated press)"],
    ]);
  });

  it("two presses at the same moment close once", async () => {
    const { app, router, dispatched } = await setup();
    const id = await openShort(app);
    const { confirm } = buttons(await router.onCommand("close", [id], admin));
    const toasts = (await Promise.all([router.onButton(confirm, admin, ref), router.onButton(confirm, discordAdmin, ref)])).map((o) => o.toast);
    expect(toasts.filter((t) => t === "Closing 1 position: exit order queued.")).toHaveLength(1);
    expect(closeIntents(dispatched)).toEqual([`close-${id}`]);
    await Promise.all([closeTrade(app, id), closeTrade(app, id)]);
    expect(await app.db.order.count({ where: { proposalId: id } })).toBe(2); // entry + one exit
  });

  it("Cancel closes nothing, and a Confirm pressed after it is refused", async () => {
    const { app, router, dispatched } = await setup();
    const id = await openShort(app);
    const { confirm, cancel } = buttons(await router.onCommand("close", [id], admin));
    const cancelled = await router.onButton(cancel, admin, ref);
    expect(cancelled).toEqual({ toast: "Cancelled: nothing will be closed.", edit: { text: "Close cancelled by alice (telegram); nothing was closed." } });
    expect((await router.onButton(confirm, admin, ref)).toast).toBe("Close cancelled by alice (telegram); nothing was closed.");
    expect(await statusOf(app, id)).toBe("open");
    expect(closeIntents(dispatched)).toEqual([]);
  });

  it("a Confirm pressed after two minutes says it expired and closes nothing", async () => {
    const { app, router, dispatched, setNow } = await setup();
    const id = await openShort(app);
    const { confirm } = buttons(await router.onCommand("close", [id], admin));
    setNow(app.clock() + CLOSE_CONFIRM_MS + 1);
    const late = await router.onButton(confirm, admin, ref);
    expect(late.toast).toBe("Close request expired at 01:02 UTC; nothing was closed. Send /close again.");
    expect(late.edit).toEqual({ text: "Close request expired at 01:02 UTC; nothing was closed. Send /close again." });
    expect(await statusOf(app, id)).toBe("open");
    expect(closeIntents(dispatched)).toEqual([]);
  });

  it("only an admin may ask or confirm: a viewer's or approver's press, or a stranger's, closes nothing", async () => {
    const { app, router, dispatched } = await setup();
    const id = await openShort(app);
    for (const actor of [viewer, approver]) {
      expect((await router.onCommand("close", [id], actor)).text).toMatch(/needs the admin role/);
    }
    const { confirm, cancel } = buttons(await router.onCommand("close", [id], admin));
    for (const actor of [viewer, approver]) {
      expect((await router.onButton(confirm, actor, ref)).toast).toMatch(/needs the admin role/);
      expect((await router.onButton(cancel, actor, ref)).toast).toMatch(/needs the admin role/);
    }
    expect((await router.onButton(confirm, stranger, ref)).toast).toMatch(/^You are not allowed to/);
    expect(await statusOf(app, id)).toBe("open");
    expect(closeIntents(dispatched)).toEqual([]);
    // The confirmation is still good for an admin.
    expect((await router.onButton(confirm, admin, ref)).toast).toBe("Closing 1 position: exit order queued.");
  });

  it("/close all closes exactly the positions it listed, not one opened after the question", async () => {
    const { app, router, dispatched } = await setup();
    const mnt = await openShort(app, MNT, 0.6);
    const eth = await openShort(app, ETH, 2000);
    const reply = await router.onCommand("close", ["all"], admin);
    expect(reply.text).toMatch(/^Close ALL 2 open positions\?\n/);
    expect(reply.text).toContain(mnt);
    expect(reply.text).toContain(eth);
    const { confirm } = buttons(reply);
    expect(reply.buttons?.[0]?.label).toBe("Confirm close (2)");
    // ETH is closed by its stop meanwhile, and BTC opens after the question.
    await seedSnapshot(app, { symbol: ETH, price: 2100 });
    await monitorTrades(app);
    await closeTrade(app, eth);
    expect(await statusOf(app, eth)).toBe("closed");
    const btc = await openShort(app, "BTC/USDT:USDT", 90_000);
    const outcome = await router.onButton(confirm, admin, ref);
    expect(outcome.toast).toBe("Closing 1 position: exit order queued.");
    expect(outcome.edit?.text).toBe(`Close confirmed by alice (telegram). The fills follow on each position's card.\n  ${mnt} ${MNT} short: exit order queued\n  ${eth} ${ETH}: not closed by this, already closed by its stop-loss`);
    expect(closeIntents(dispatched).sort()).toEqual([`close-${eth}`, `close-${mnt}`].sort());
    expect([await statusOf(app, mnt), await statusOf(app, btc)]).toEqual(["closing", "open"]);
  });

  it("refuses forged or malformed close buttons, and the longest one fits Telegram's 64 bytes", async () => {
    const { router } = await setup();
    for (const data of ["v1:cc:p1:ZZZ", "v1:cc:p1", "v1:a:p1:abcdef1234", "v1:cc:p1:abcdef1234:x", "v0:cc:p1:abcdef1234", "v1:cz:p1:abcdef1234"]) {
      expect((await router.onButton(data, admin, ref)).toast, data).toBe("This button is no longer valid. Send /status for the current state.");
    }
    expect((await router.onButton("v1:cc:all:abcdef1234", admin, ref)).toast).toBe("This close confirmation is no longer known. Send /close again.");
    expect(Buffer.byteLength(encodeButton({ kind: "close-confirm", proposalId: "a".repeat(40), confirmId: "b".repeat(16) }))).toBe(63);
    expect(() => encodeButton({ kind: "close-cancel", proposalId: "all", confirmId: "x:y" })).toThrow(RangeError);
  });

  it("answers wrong arguments with its usage, and an unknown position with the open ones", async () => {
    const { app, router } = await setup();
    const usage = { text: "Usage: /close <position|all>, e.g. /close p1a2b3c4d5e6 or /close all (ids are in /positions)", private: true };
    expect(await router.onCommand("close", [], admin)).toEqual(usage);
    expect(await router.onCommand("close", ["a", "b"], admin)).toEqual(usage);
    expect(await router.onCommand("close", ["<script>"], admin)).toEqual(usage);
    expect((await router.onCommand("close", ["all"], admin)).text).toBe("No open positions: nothing to close.");
    const id = await openShort(app);
    expect((await router.onCommand("close", ["p000000000000"], admin)).text).toBe(`No open position "p000000000000". Open: ${id} (${MNT} short). Use an id from /positions, or all.`);
    // The base coin names the one position on it.
    expect((await router.onCommand("close", ["mnt"], admin)).text).toMatch(/^Close this position\?/);
  });
});
