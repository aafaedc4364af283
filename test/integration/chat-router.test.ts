import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../commands";
import { createChatRouter } from "../../src/chat/chat-router";
import { encodeButton } from "../../src/chat/callback-codec";
import { cutAtWord, fitToast } from "../../src/chat/render/fit-text";
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
      expect(outcome.toast).toMatch(/^You are not allowed to approve proposals\..*TELEGRAM_APPROVER_USER_IDS/);
      expect(outcome.toast).not.toContain(actor.displayName);
      expect(outcome.edit).toBeUndefined();
    }
    expect((await app.db.proposal.findUniqueOrThrow({ where: { id } })).status).toBe("pending");
    expect(executions).toEqual([]);
    const audits = await app.db.auditLog.findMany({ orderBy: { id: "asc" } });
    expect(audits.map((a) => [a.userId, a.action, a.outcome, a.target])).toEqual([["999", "approve", "refused", id], ["222", "approve", "refused", id]]);
  });

  it("refuses typed commands from unknown users, including the typed /approve", async () => {
    const { app, router, setNow } = await setup();
    const id = await seedProposal(app);
    for (const [name, args] of [["pause", []], ["approve", [id]], ["pnl", []], ["status", []]] as const) {
      // A new minute each time: one refusal answer per user per minute.
      setNow(app.clock() + 60_000);
      const reply = await router.onCommand(name, args, stranger);
      expect(reply).toEqual({ text: expect.stringMatching(new RegExp(`^You are not allowed to use /${name}\\.`)) as unknown, private: true });
      expect(reply.text).not.toContain("mallory");
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
    expect(await router.onCommand("approve", ["DROP TABLE"], allowed)).toEqual({ text: expect.stringMatching(/^Usage: \/approve <proposal id>/) as unknown, private: true });
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

describe("chat router: names, usage, refusals, toasts, audit", () => {
  it("matches commands in any letter case and with a bot-name suffix", async () => {
    const { router } = await setup();
    for (const name of ["STATUS", "Status", "status@perpbot_bot", "sTaTuS@Perpbot_Bot"]) {
      expect((await router.onCommand(name, [], allowed)).text).toMatch(/^perpbot — PAPER trading ACTIVE/);
    }
    expect((await router.onCommand("HELP", [], allowed)).text).toMatch(/^perpbot watches/);
  });

  it("gives the command's one-line usage for a missing, extra or wrong argument", async () => {
    const { app, router } = await setup();
    const cases: [string, string[], RegExp][] = [
      ["approve", [], /^Usage: \/approve <proposal id>/],
      ["reject", ["a", "b"], /^Usage: \/reject <proposal id>/],
      ["status", ["BTC"], /^Usage: \/status \(no arguments\)$/],
      ["resume", ["now"], /^Usage: \/resume, or \/resume override/],
    ];
    for (const [name, args, usage] of cases) {
      const reply = await router.onCommand(name, args, allowed);
      expect(reply.text).toMatch(usage);
      expect(reply.text).not.toContain("\n");
    }
    // Free text is not "extra": a pause reason has any number of words.
    expect((await router.onCommand("pause", ["venue", "maintenance", "window"], allowed)).text).toMatch(/^Trading is paused\./);
    const audits = await app.db.auditLog.findMany({ orderBy: { id: "asc" } });
    expect(audits.map((a) => [a.action, a.outcome])).toEqual([["/approve", "refused"], ["/reject", "refused"], ["/status", "refused"], ["/resume", "refused"], ["/pause", "ok"]]);
    expect(audits[3]?.detail).toMatch(/^usage: /);
  });

  it("answers a stranger at most once a minute, never by name, and audits every refusal", async () => {
    const { app, router, setNow } = await setup();
    const id = await seedProposal(app);
    const named: Actor = { platform: "telegram", userId: "999", displayName: "Mallory <script>" };
    const start = app.clock();
    const first = await router.onCommand("status", [], named);
    expect(first.text).toMatch(/^You are not allowed to use \/status\./);
    expect(first.text).not.toMatch(/Mallory|script|999/);
    // Within the minute: the command and a button press are both left unanswered.
    setNow(start + 59_000);
    expect(await router.onCommand("pnl", [], named)).toEqual({ text: "", private: true });
    expect((await router.onButton(encodeButton({ kind: "approve", proposalId: id }), named, ref)).toast).toBe("");
    // Another stranger has their own minute.
    expect((await router.onCommand("pnl", [], { ...named, userId: "998" })).text).toMatch(/not allowed/);
    setNow(start + 60_000);
    expect((await router.onButton(encodeButton({ kind: "approve", proposalId: id }), named, ref)).toast).toMatch(/^You are not allowed to approve proposals/);
    const audits = await app.db.auditLog.findMany({ where: { userId: "999" }, orderBy: { id: "asc" } });
    expect(audits.map((a) => [a.action, a.outcome, a.detail?.includes("not answered") ?? false])).toEqual([
      ["/status", "refused", false], ["/pnl", "refused", true], ["approve", "refused", true], ["approve", "refused", false],
    ]);
  });

  it("answers a stranger's /help and unknown commands at most once a minute too, allowed users always", async () => {
    const { app, router, setNow } = await setup();
    expect((await router.onCommand("foo", [], stranger)).text).toBe("Unknown command /foo. Send /help for the list.");
    expect((await router.onCommand("help", [], stranger)).text).toBe("");
    expect((await router.onCommand("bar", [], stranger)).text).toBe("");
    for (let i = 0; i < 3; i += 1) expect((await router.onCommand("foo", [], allowed)).text).toMatch(/^Unknown command/);
    setNow(app.clock() + 60_000);
    expect((await router.onCommand("help", [], stranger)).text).toMatch(/^perpbot watches/);
    expect(await app.db.auditLog.count({ where: { userId: "999" } })).toBe(4);
  });

  it("cuts a long toast to 200 characters at a word, with an ellipsis", async () => {
    const { app, router } = await setup();
    const id = await seedProposal(app);
    const reason = "scheduled venue maintenance and a funding settlement during the migration window, with thin books expected".repeat(2).slice(0, 200);
    await router.onCommand("pause", reason.split(" "), allowed);
    const { toast } = await router.onButton(encodeButton({ kind: "approve", proposalId: id }), allowed, ref);
    expect([...toast].length).toBeLessThanOrEqual(200);
    expect(toast).toMatch(/^Not approved\. Trading is paused by alice/);
    expect(toast).toMatch(/\S…$/);
    expect(reason).toContain(toast.slice(toast.lastIndexOf(" ") + 1, -1)); // ends on a whole word
  });

  it("audits reads, help and unknown commands too", async () => {
    const { app, router } = await setup();
    await router.onCommand("status", [], allowed);
    await router.onCommand("pnl", [], allowed);
    await router.onCommand("help", [], stranger);
    await router.onCommand("foo", ["bar"], allowed);
    const audits = await app.db.auditLog.findMany({ orderBy: { id: "asc" } });
    expect(audits.map((a) => [a.platform, a.userId, a.action, a.outcome, a.target])).toEqual([
      ["telegram", "111", "/status", "ok", ""], ["telegram", "111", "/pnl", "ok", ""], ["telegram", "999", "/help", "ok", ""], ["telegram", "111", "/foo", "refused", "bar"],
    ]);
    expect(audits.every((a) => a.ts.getTime() === app.clock())).toBe(true);
  });
});

describe("chat router: acknowledge first, decide after", () => {
  /** Records each acknowledgement with what the database held at that moment. */
  function recorder(app: Awaited<ReturnType<typeof setup>>["app"], id: string | null) {
    const acks: { text: string; final: boolean; audits: number; status: string | null }[] = [];
    const acknowledge = async (ack: { text: string; final: boolean }): Promise<boolean> => {
      const audits = await app.db.auditLog.count();
      const status = id === null ? null : (await app.db.proposal.findUniqueOrThrow({ where: { id } })).status;
      acks.push({ ...ack, audits, status });
      return true;
    };
    return { acks, acknowledge };
  }

  it("acknowledges an allowed press before anything is decided or written; the outcome follows, the card intent shows who decided", async () => {
    const { app, router, notices } = await setup();
    const id = await seedProposal(app);
    const { acks, acknowledge } = recorder(app, id);
    const outcome = await router.onButton(encodeButton({ kind: "approve", proposalId: id }), allowed, ref, acknowledge);
    expect(acks).toEqual([{ text: "Approving…", final: false, audits: 0, status: "pending" }]);
    expect(outcome.toast).toMatch(/^Approved\./); // for the presser, where the app can still say it privately (Discord)
    expect(outcome.notice).toBeUndefined(); // the card shows it: nothing said in public
    expect(notices).toContainEqual({ kind: "card", proposalId: id });
    expect((await app.db.proposal.findUniqueOrThrow({ where: { id } })).status).toBe("approved");
  });

  it("a refusal is the whole acknowledgement (final), audited after it; a stranger within their minute gets an empty one", async () => {
    const { app, router } = await setup();
    const id = await seedProposal(app);
    const { acks, acknowledge } = recorder(app, id);
    const data = encodeButton({ kind: "approve", proposalId: id });
    expect(await router.onButton(data, stranger, ref, acknowledge)).toEqual({ toast: "" });
    expect(await router.onButton(data, stranger, ref, acknowledge)).toEqual({ toast: "" });
    expect(await router.onButton("v1:a:../x", allowed, ref, acknowledge)).toEqual({ toast: "" });
    expect(acks.map((a) => [a.text.slice(0, 32), a.final, a.audits])).toEqual([
      ["You are not allowed to approve p", true, 0], ["", true, 1], ["This button is no longer valid. ", true, 2],
    ]);
    const audits = await app.db.auditLog.findMany({ orderBy: { id: "asc" } });
    expect(audits.map((a) => [a.userId, a.action, a.outcome, a.detail?.includes("not answered") ?? false])).toEqual([
      ["999", "approve", "refused", false], ["999", "approve", "refused", true], ["111", "button", "refused", false],
    ]);
    expect((await app.db.proposal.findUniqueOrThrow({ where: { id } })).status).toBe("pending");
  });

  it("a refusal after the decision that the card cannot show (paused) comes with a public notice naming no one", async () => {
    const { app, router } = await setup();
    const id = await seedProposal(app);
    await router.onCommand("pause", ["Mallory's", "maintenance"], allowed);
    const { acks, acknowledge } = recorder(app, id);
    const outcome = await router.onButton(encodeButton({ kind: "approve", proposalId: id }), allowed, ref, acknowledge);
    expect(acks.map((a) => a.text)).toEqual(["Approving…"]);
    expect(outcome.toast).toMatch(/^Not approved\. Trading is paused by alice/); // private (Discord): the whole reason
    expect(outcome.notice).toBe("Not approved: trading is paused. /status says since when and why.");
    expect(outcome.notice).not.toMatch(/alice|Mallory|maintenance/);
    // Decided meanwhile by someone else: the card shows it (and who), so no notice.
    await router.onCommand("resume", [], allowed);
    await router.onButton(encodeButton({ kind: "reject", proposalId: id }), allowed, ref);
    const late = await router.onButton(encodeButton({ kind: "approve", proposalId: id }), allowed, ref, acknowledge);
    expect(late.notice).toBeUndefined();
    expect(late.edit?.text).toMatch(/Rejected by alice/);
    expect(late.edit?.buttons ?? []).toEqual([]);
  });

  it("a press the app could not acknowledge in time is not acted on, and that is audited", async () => {
    const { app, router, executions } = await setup();
    const id = await seedProposal(app);
    const outcome = await router.onButton(encodeButton({ kind: "approve", proposalId: id }), allowed, ref, () => Promise.resolve(false));
    expect(outcome).toEqual({ toast: "" });
    expect((await app.db.proposal.findUniqueOrThrow({ where: { id } })).status).toBe("pending");
    expect(executions).toEqual([]);
    expect((await app.db.auditLog.findFirstOrThrow()).detail).toMatch(/not acted on/);
  });
});

describe("toast fitting", () => {
  it("keeps short texts, cuts long ones at a word with an ellipsis, never splits an emoji", () => {
    expect(fitToast("Approved.")).toBe("Approved.");
    expect(fitToast("x".repeat(200))).toBe("x".repeat(200));
    expect(cutAtWord("alpha beta gamma delta", 13)).toBe("alpha beta…");
    expect(cutAtWord("alpha, beta. gamma", 14)).toBe("alpha, beta…"); // no dangling punctuation before the ellipsis
    expect(cutAtWord("x".repeat(30), 10)).toBe(`${"x".repeat(9)}…`); // no space at all: a hard cut
    const emoji = fitToast("🚀".repeat(150));
    expect(emoji.length).toBeLessThanOrEqual(200);
    expect(emoji).toBe(`${"🚀".repeat(99)}…`);
  });
});
