/**
 * Issue 9 point 3, per-chat alert settings, as users meet /settings on both apps: the real bot role
 * (chats mirrored at start), the real telegraf and discord.js against the stand-ins, a real
 * database that a restarted process reads back.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ALERT_EVENTS } from "../../src/core/alert-events";
import { changeChatAlerts } from "../../src/app/chat-settings";
import { syncChats } from "../../src/store/chat-settings";
import { CHAT, DC, DESK, DM, sayOnTelegram, slashOnDiscord, startAlertDesk, storedMode, TG, type AlertDesk } from "../support/alert-desk";

let desk: AlertDesk;
beforeEach(async () => {
  desk = await startAlertDesk();
});
afterEach(async () => {
  await desk.close();
});

const USAGE = /^Usage: \/settings \[event\|all\] \[on\|silent\|off\], e\.g\. [^\n]*$/;
const auditOf = (userId: string) => desk.runtime.app.db.auditLog.findMany({ where: { userId }, orderBy: { id: "asc" } });

describe("/settings on Telegram", () => {
  it("shows a viewer this chat's mode for every kind, one line each with its label", async () => {
    const reply = await sayOnTelegram(desk, TG.viewer, DESK, "/settings");
    const lines = reply.text.split("\n");
    expect(lines[0]).toBe(`Alerts in this chat (telegram ${DESK}), per kind:`);
    expect(lines.slice(1, 1 + ALERT_EVENTS.length).map((l) => l.split(" — ")[0])).toEqual([...ALERT_EVENTS]);
    expect(lines).toContain("exit — stops, take-profits and other exits: on");
    expect(reply.text).toMatch(/An admin changes them with \/settings <event\|all> <on\|silent\|off>/);
    expect((await auditOf(String(TG.viewer.id))).map((r) => [r.action, r.outcome])).toEqual([["/settings", "ok"]]);
  });

  it("lets an admin change one kind or all of them for this chat only, audited with before and after", async () => {
    const changed = await sayOnTelegram(desk, TG.admin, DESK, "/settings Funding SILENT");
    expect(changed.text.split("\n")[0]).toBe("Changed for this chat: funding on → silent. From the next alert on.");
    expect(changed.text).toContain("funding — funding-time warnings: silent (no notification sound)");
    expect(await storedMode(desk, "telegram", String(DESK), "funding")).toBe("silent");
    expect(await storedMode(desk, "telegram", String(CHAT), "funding")).toBe("on");

    const all = await sayOnTelegram(desk, TG.admin, DESK, "/settings all off");
    expect(all.text.split("\n")[0]).toMatch(/^Changed for this chat: proposal on → off, funding silent → off, fill on → off/);
    for (const event of ALERT_EVENTS) expect(await storedMode(desk, "telegram", String(DESK), event)).toBe("off");
    const again = await sayOnTelegram(desk, TG.admin, DESK, "/settings all off");
    expect(again.text.split("\n")[0]).toBe("Nothing changed: this chat already had that setting.");

    const rows = (await auditOf(String(TG.admin.id))).map((r) => [r.action, r.target, r.outcome, r.detail]);
    expect(rows[0]).toEqual(["alert-settings", `telegram:${DESK}`, "ok", "funding on -> silent"]);
    expect(rows[1]).toEqual(["/settings", "Funding SILENT", "ok", "as admin"]);
    expect(rows.filter((r) => r[0] === "alert-settings")).toHaveLength(2); // "nothing changed" writes no change entry
    expect(rows.filter((r) => r[0] === "/settings")).toHaveLength(3);
  });

  it("refuses a change to a viewer and an approver, naming the role and not the person, and changes nothing", async () => {
    for (const who of [TG.viewer, TG.approver]) {
      const refused = await sayOnTelegram(desk, who, DESK, "/settings exit off");
      expect(refused.text).toBe(`/settings needs the admin role; you are ${who === TG.viewer ? "a viewer" : "an approver"}.`);
      expect(refused.text).not.toMatch(/Vera|Aaron/);
      // Even a malformed change is a change attempt: refused, not taught the usage.
      expect((await sayOnTelegram(desk, who, DESK, "/settings exit")).text).toMatch(/needs the admin role/);
      expect((await auditOf(String(who.id))).map((r) => [r.action, r.outcome, r.detail])).toEqual([
        ["/settings", "refused", `needs admin, has ${who === TG.viewer ? "viewer" : "approver"}`],
        ["/settings", "refused", `needs admin, has ${who === TG.viewer ? "viewer" : "approver"}`],
      ]);
    }
    // The use case asks again, for any future path that forgets the router's check.
    const viewer = { platform: "telegram" as const, userId: String(TG.viewer.id), displayName: TG.viewer.first_name };
    await expect(changeChatAlerts(desk.runtime.app, viewer, String(DESK), "exit", "off")).rejects.toThrow("Changing alert settings needs the admin role.");
    expect(await desk.runtime.app.db.chatAlertSetting.count()).toBe(0);
  });

  it("answers malformed arguments with the one-line usage and writes nothing", async () => {
    for (const text of ["/settings funding", "/settings funding loud", "/settings everything off", "/settings funding off now", "/settings off funding"]) {
      expect((await sayOnTelegram(desk, TG.admin, DESK, text)).text, text).toMatch(USAGE);
    }
    expect(await desk.runtime.app.db.chatAlertSetting.count()).toBe(0);
  });

  it("says that a chat outside TELEGRAM_CHAT_IDS has no alert settings, and stores none for it", async () => {
    expect((await sayOnTelegram(desk, TG.admin, DM, "/settings")).text).toMatch(/^This chat gets no alerts \(it is not in TELEGRAM_CHAT_IDS\)/);
    expect((await sayOnTelegram(desk, TG.admin, DM, "/settings exit off")).text).toMatch(/^This chat gets no alerts/);
    expect(await desk.runtime.app.db.chatAlertSetting.count()).toBe(0);
  });
});

describe("/settings on Discord", () => {
  it("shows a viewer the channel's modes, lets an admin change one, refuses viewer and approver privately, answers bad options with the usage", async () => {
    const shown = await slashOnDiscord(desk, DC.viewer, "settings");
    expect(shown.ephemeral).toBe(false);
    expect(shown.content.split("\n")[0]).toBe(`Alerts in this chat (discord ${desk.discord.channelId}), per kind:`);
    expect(shown.content).toContain("digest — the twice-daily digest: on");

    const changed = await slashOnDiscord(desk, DC.admin, "settings", { event: "exit", mode: "silent" });
    expect(changed.content.split("\n")[0]).toBe("Changed for this chat: exit on → silent. From the next alert on.");
    expect(await storedMode(desk, "discord", desk.discord.channelId, "exit")).toBe("silent");

    for (const who of [DC.viewer, DC.approver]) {
      const refused = await slashOnDiscord(desk, who, "settings", { event: "exit", mode: "off" });
      expect(refused).toEqual({ content: `/settings needs the admin role; you are ${who === DC.viewer ? "a viewer" : "an approver"}.`, ephemeral: true });
    }
    expect(await storedMode(desk, "discord", desk.discord.channelId, "exit")).toBe("silent");

    for (const options of [{ event: "exit" }, { mode: "off" }, { event: "exits", mode: "off" }, { event: "exit", mode: "mute" }]) {
      const usage = await slashOnDiscord(desk, DC.admin, "settings", options);
      expect(usage.ephemeral, JSON.stringify(options)).toBe(true);
      expect(usage.content, JSON.stringify(options)).toMatch(USAGE);
    }
    const rows = await desk.runtime.app.db.auditLog.findMany({ where: { platform: "discord", action: "alert-settings" } });
    expect(rows.map((r) => [r.userId, r.target, r.detail])).toEqual([[DC.admin.id, `discord:${desk.discord.channelId}`, "exit on -> silent"]]);
  });

  it("registers /settings with optional event and mode options", () => {
    const command = desk.discord.registeredCommands.find((c) => c.name === "settings");
    expect(command?.options.map((o) => [o.name, o.required])).toEqual([["event", false], ["mode", false]]);
  });
});

describe("settings across a restart", () => {
  it("a new process on the same database file shows and applies what the admin chose", async () => {
    await sayOnTelegram(desk, TG.admin, DESK, "/settings funding off");
    await slashOnDiscord(desk, DC.admin, "settings", { event: "data", mode: "silent" });
    await desk.restart();
    expect((await sayOnTelegram(desk, TG.viewer, DESK, "/settings")).text).toContain("funding — funding-time warnings: off");
    expect((await slashOnDiscord(desk, DC.viewer, "settings")).content).toContain("data — data problems that need a human: silent (no notification sound)");
    expect(await desk.runtime.app.db.chat.count({ where: { configured: true } })).toBe(3); // two Telegram chats and the Discord channel
  });

  it("a chat dropped from the environment keeps its settings, has none to show meanwhile, and gets them back when listed again", async () => {
    await sayOnTelegram(desk, TG.admin, CHAT, "/settings exit silent");
    const db = desk.runtime.app.db;
    expect(await syncChats(db, [{ platform: "telegram", chatIds: [String(DESK)] }], Date.now())).toEqual({ added: 0, removed: 1 });
    expect((await sayOnTelegram(desk, TG.admin, CHAT, "/settings")).text).toMatch(/^This chat gets no alerts/);
    expect(await db.chat.count({ where: { platform: "discord", configured: true } })).toBe(1); // a platform not synced is left alone
    expect(await syncChats(db, [{ platform: "telegram", chatIds: [String(DESK), String(CHAT)] }], Date.now())).toEqual({ added: 1, removed: 0 });
    expect((await sayOnTelegram(desk, TG.viewer, CHAT, "/settings")).text).toContain("exit — stops, take-profits and other exits: silent (no notification sound)");
  });
});
