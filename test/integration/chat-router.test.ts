import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../commands";
import { createChatRouter } from "../../src/chat/chat-router";
import { encodeButton } from "../../src/chat/callback-codec";
import type { Actor, MessageRef } from "../../src/chat/transport";
import { useRecordingApps } from "../support/test-env";
import { seedProposal } from "../support/fixtures";

const allowed: Actor = { platform: "telegram", userId: "111", displayName: "alice" };
const stranger: Actor = { platform: "telegram", userId: "999", displayName: "mallory" };
// The Discord allow-list holds 222; the same number on Telegram is someone else.
const wrongPlatform: Actor = { platform: "telegram", userId: "222", displayName: "eve" };
const ref: MessageRef = { platform: "telegram", chatId: "-100", messageId: "7" };

const newApp = useRecordingApps();

async function setup() {
  const env = await newApp();
  return { ...env, router: createChatRouter(env.app, COMMANDS) };
}

describe("chat router: authorization on every path", () => {
  it("refuses a button press from an unknown user, changes nothing and audits it", async () => {
    const { app, router, executions } = await setup();
    const id = await seedProposal(app);
    for (const actor of [stranger, wrongPlatform]) {
      const outcome = await router.onButton(encodeButton({ kind: "approve", proposalId: id }), actor, ref);
      expect(outcome.toast).toMatch(new RegExp(`not allowed.*${actor.userId}.*TELEGRAM_ALLOWED_USER_IDS`));
      expect(outcome.edit).toBeUndefined();
    }
    expect((await app.db.proposal.findUniqueOrThrow({ where: { id } })).status).toBe("pending");
    expect(executions).toEqual([]);
    const audits = await app.db.auditLog.findMany({ orderBy: { id: "asc" } });
    expect(audits.map((a) => [a.userId, a.action, a.outcome, a.target])).toEqual([["999", "approve", "refused", id], ["222", "approve", "refused", id]]);
  });

  it("refuses typed commands from unknown users, including the typed /approve", async () => {
    const { app, router } = await setup();
    const id = await seedProposal(app);
    for (const [name, args] of [["pause", []], ["approve", [id]], ["pnl", []], ["status", []]] as const) {
      const reply = await router.onCommand(name, args, stranger);
      expect(reply.text).toMatch(/not allowed/);
    }
    expect(await app.db.setting.count()).toBe(0);
    expect((await app.db.proposal.findUniqueOrThrow({ where: { id } })).status).toBe("pending");
    expect(await app.db.auditLog.count({ where: { outcome: "refused" } })).toBe(4);
  });

  it("approves for an allowed user, queues the card update and audits", async () => {
    const { app, router, executions, notices } = await setup();
    const id = await seedProposal(app);
    const outcome = await router.onButton(encodeButton({ kind: "approve", proposalId: id }), allowed, ref);
    expect(outcome.toast).toMatch(/Approved/);
    // The card is updated through its intent (versioned), not by an edit rendered at press time.
    expect(outcome.edit).toBeUndefined();
    expect(notices).toContainEqual({ kind: "card", proposalId: id });
    expect(executions).toEqual([id]);
    const again = await router.onButton(encodeButton({ kind: "approve", proposalId: id }), allowed, ref);
    expect(again.toast).toMatch(/Nothing done/);
    expect(await app.db.auditLog.count({ where: { outcome: "ok", action: "approve" } })).toBe(1);
  });

  it("answers forged or stale button data and unknown commands plainly", async () => {
    const { router } = await setup();
    expect((await router.onButton("v0:a:p123", allowed, ref)).toast).toMatch(/no longer valid/);
    expect((await router.onButton("v1:x:p123", allowed, ref)).toast).toMatch(/no longer valid/);
    expect((await router.onCommand("moon", [], allowed)).text).toBe("Unknown command /moon. Send /help for the list.");
    expect((await router.onCommand("approve", ["DROP TABLE"], allowed)).text).toMatch(/Usage: \/approve <proposal id>/);
    expect((await router.onCommand("help", [], stranger)).text).toMatch(/\/pause \[reason\]/);
  });

  it("keeps the pause across a restart (a second process on the same file)", async () => {
    const { app, router } = await setup();
    expect((await router.onCommand("pause", ["maintenance"], allowed)).text).toMatch(/Trading is paused/);
    const { openDatabase } = await import("../../src/store/database");
    const file = (await app.db.$queryRawUnsafe<{ file: string }[]>("PRAGMA database_list"))[0]?.file ?? "";
    const second = await openDatabase(`file:${file}`);
    try {
      const restarted = createChatRouter({ ...app, db: second }, COMMANDS);
      expect((await restarted.onCommand("status", [], allowed)).text).toMatch(/PAUSED[\s\S]*paused by alice \(telegram\) \(maintenance\)/);
    } finally {
      await second.$disconnect();
    }
  });

  it("never shows internal errors in chat", async () => {
    const { app, router } = await setup();
    await app.db.$executeRawUnsafe(`DROP TABLE "Setting"`);
    const reply = await router.onCommand("pause", [], allowed);
    expect(reply.text).toBe("Something went wrong on our side; nothing was changed. The details are in the bot's log.");
  });
});
