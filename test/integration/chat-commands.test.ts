/**
 * Commands as a Telegram user meets them: the real router and commands behind the real telegraf
 * (TelegramTransport), against the Telegram stand-in, on a real database.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { COMMANDS } from "../../commands";
import { encodeButton } from "../../src/chat/callback-codec";
import { createChatRouter } from "../../src/chat/chat-router";
import { TelegramTransport } from "../../src/chat/telegram/telegram-transport";
import { silentLogger, useRecordingApps, type RecordingApp } from "../support/test-env";
import { seedProposal } from "../support/fixtures";
import { TelegramServer, type RecordedMessage } from "../stand-ins/telegram-server";

const ALICE = { id: 111, first_name: "Alice", username: "alice_trades" }; // admin (testSettings)
const MALLORY = { id: 999, first_name: "Mallory Evilname", username: "mallory_x" };
const DESK = -1001234567890; // a supergroup: everything said there is read by everyone

const newApp = useRecordingApps();
let server: TelegramServer;
let transport: TelegramTransport;
let env: RecordingApp;

beforeEach(async () => {
  server = new TelegramServer({ botUsername: "perpbot_bot" });
  await server.start();
  env = await newApp();
  transport = new TelegramTransport({ token: server.token, apiRoot: server.apiRoot, chatIds: [String(DESK)], logger: silentLogger, rateLimit: { secondMs: 20 } });
  await transport.start(createChatRouter(env.app, COMMANDS), COMMANDS);
});

afterEach(async () => {
  await transport.stop();
  await server.stop();
});

/** Types `text` into the desk and returns the bot's answer (the next message it sends there). */
async function say(from: { id: number; first_name: string }, text: string): Promise<RecordedMessage> {
  const before = server.sentMessages.length;
  server.injectCommand(from, DESK, text);
  return server.waitFor(() => server.sentMessages[before], 5_000);
}

async function until(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("until: condition not met within 5 s");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const auditRows = (userId: string) => env.app.db.auditLog.findMany({ where: { userId }, orderBy: { id: "asc" } });

describe("chat commands through Telegram", () => {
  it("answers an unknown command with a pointer to /help", async () => {
    const reply = await say(ALICE, "/foo");
    expect(reply.text).toBe("Unknown command /foo. Send /help for the list.");
  });

  it("matches /STATUS, /Status and /status@perpbot_bot like /status", async () => {
    for (const text of ["/STATUS", "/Status", "/status@perpbot_bot", "/Status@PerpBot_Bot"]) {
      const reply = await say(ALICE, text);
      expect(reply.text, text).toMatch(/^perpbot — PAPER trading ACTIVE/);
    }
  });

  it("answers wrong arguments with the command's one-line usage", async () => {
    expect((await say(ALICE, "/approve")).text).toMatch(/^Usage: \/approve <proposal id>, e\.g\. [^\n]*$/);
    expect((await say(ALICE, "/resume tomorrow")).text).toMatch(/^Usage: \/resume, or \/resume override[^\n]*$/);
    expect((await say(ALICE, "/pnl week month")).text).toBe("Usage: /pnl [day|week|month|all] — trades closed in the last 24 h, 7 days, 30 days or all time (default)");
    expect((await say(ALICE, "/pnl fortnight")).text).toBe("Usage: /pnl [day|week|month|all] — trades closed in the last 24 h, 7 days, 30 days or all time (default)");
  });

  it("/whoami gives anyone their id without their name, also right after a refusal, and once a minute to a stranger", async () => {
    expect((await say(ALICE, "/whoami")).text).toBe("Your telegram user id is 111. Your role is admin: you may use every command and press Approve/Reject.");
    const refused = await say(MALLORY, "/pause");
    expect(refused.text).toMatch(/Send \/whoami for your user id/);
    const mine = await say(MALLORY, "/WhoAmI");
    expect(mine.text).toBe("Your telegram user id is 999. You have no role yet: the owner adds this id to TELEGRAM_VIEWER_USER_IDS, TELEGRAM_APPROVER_USER_IDS or TELEGRAM_ADMIN_USER_IDS.");
    expect(mine.text).not.toMatch(/Mallory|Evilname|mallory_x/);
    const sent = server.sentMessages.length;
    server.injectCommand(MALLORY, DESK, "/whoami");
    await until(async () => (await auditRows("999")).length === 3);
    expect(server.sentMessages.length).toBe(sent); // the stranger's second /whoami within the minute: audited, not answered
    expect((await auditRows("999")).map((r) => [r.action, r.outcome])).toEqual([["/pause", "refused"], ["/whoami", "ok"], ["/whoami", "ok"]]);
  });

  it("refuses a stranger in the group without their name, answers once a minute, audits every time", async () => {
    const first = await say(MALLORY, "/status");
    expect(first.text).toMatch(/^You are not allowed to use \/status\./);
    expect(first.text).not.toMatch(/Mallory|Evilname|mallory_x|999/);

    // The same stranger again within the minute, by command and by button: audited, not answered.
    const [card] = await transport.broadcast({ text: "Proposal", buttons: [{ label: "Approve", data: encodeButton({ kind: "approve", proposalId: await seedProposal(env.app) }), style: "primary" }] });
    const sentBefore = server.sentMessages.length;
    const sendsBefore = server.calls.filter((m) => m === "sendmessage").length;
    env.setNow(env.app.clock() + 59_000);
    server.injectCommand(MALLORY, DESK, "/pause");
    server.pressButton(MALLORY, DESK, Number(card?.messageId), encodeButton({ kind: "reject", proposalId: "p123" }));
    const toast = await server.waitFor(() => server.callbackAnswers[0], 5_000);
    await until(async () => (await auditRows("999")).length === 3);
    await new Promise((resolve) => setTimeout(resolve, 200)); // room for a reply that must not come
    expect(toast.text ?? "").toBe("");
    expect(server.sentMessages.length).toBe(sentBefore);
    expect(server.calls.filter((m) => m === "sendmessage").length).toBe(sendsBefore); // not even tried

    // A minute after the last answer the stranger is told again.
    env.setNow(env.app.clock() + 1_000);
    expect((await say(MALLORY, "/pnl")).text).toMatch(/^You are not allowed to use \/pnl\./);
    const rows = await auditRows("999");
    expect(rows.map((r) => [r.platform, r.action, r.outcome, /not answered/.test(r.detail ?? "")])).toEqual([
      ["telegram", "/status", "refused", false], ["telegram", "/pause", "refused", true], ["telegram", "reject", "refused", true], ["telegram", "/pnl", "refused", false],
    ]);
    expect(await env.app.db.setting.count()).toBe(0); // the /pause did nothing
  });

  it("a press while paused is acknowledged at once; the refusal the card cannot show follows as a short reply to it, naming no one", async () => {
    const id = await seedProposal(env.app);
    const reason = "the exchange announced maintenance of its matching engine and the funding settlement may be skipped";
    await say(ALICE, `/pause ${reason}`);
    const [card] = await transport.broadcast({ text: "Proposal", buttons: [{ label: "Approve", data: encodeButton({ kind: "approve", proposalId: id }), style: "primary" }] });
    const before = server.sentMessages.length;
    server.pressButton(ALICE, DESK, Number(card?.messageId), encodeButton({ kind: "approve", proposalId: id }));
    expect((await server.waitFor(() => server.callbackAnswers[0], 5_000)).text).toBe("Approving…");
    const notice = await server.waitFor(() => server.sentMessages[before], 5_000);
    expect(notice.text).toBe("Not approved: trading is paused. /status says since when and why.");
    expect(notice.text).not.toMatch(/Alice|alice|maintenance/);
    expect((await env.app.db.proposal.findUniqueOrThrow({ where: { id } })).status).toBe("pending");
    expect(server.callbackAnswers).toHaveLength(1);
    const rows = await auditRows("111");
    expect(rows.map((r) => [r.action, r.outcome])).toEqual([["/pause", "ok"], ["approve", "refused"]]);
    expect(rows[1]?.detail).toMatch(/^Not approved\. Trading is paused by /); // the whole reason, for the owner
  });

  it("audits a read-only command: who, which app, what, when", async () => {
    await say(ALICE, "/pnl");
    const rows = await auditRows("111");
    expect(rows.map((r) => ({ platform: r.platform, userId: r.userId, action: r.action, outcome: r.outcome, ts: r.ts.getTime() }))).toEqual([
      { platform: "telegram", userId: "111", action: "/pnl", outcome: "ok", ts: env.app.clock() },
    ]);
  });
});
