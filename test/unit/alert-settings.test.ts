/**
 * The pure parts of per-chat alert settings: which kind a notice counts as, who /settings asks for,
 * and how a Telegram lane merges silent and loud texts (a fake send: the lane's own logic only).
 */
import { describe, expect, it } from "vitest";
import { settingsCommand } from "../../commands/settings";
import { ALERT_EVENT_LABELS, ALERT_EVENTS, alertEventOf, isAlertEvent, isAlertMode } from "../../src/core/alert-events";
import { TelegramLanes } from "../../src/chat/telegram/telegram-lanes";
import type { OutgoingMessage } from "../../src/chat/transport";

describe("alertEventOf", () => {
  it("takes the kind a notice names, and counts a missing or unknown one as system", () => {
    expect(alertEventOf({ event: "funding" })).toBe("funding");
    expect(alertEventOf({})).toBe("system");
    expect(alertEventOf({ event: "liquidations" })).toBe("system");
  });

  it("knows every kind and mode by its exact lower-case name only", () => {
    for (const event of ALERT_EVENTS) expect(isAlertEvent(event) && ALERT_EVENT_LABELS[event].length > 0).toBe(true);
    expect(isAlertEvent("Funding")).toBe(false);
    expect(["on", "silent", "off"].every(isAlertMode)).toBe(true);
    expect(isAlertMode("mute")).toBe(false);
  });
});

describe("/settings roles", () => {
  it("is a read for a viewer without arguments and an admin act with any", () => {
    const roleFor = settingsCommand.roleFor ?? (() => settingsCommand.role);
    expect(settingsCommand.role).toBe("viewer");
    expect(roleFor([])).toBe("viewer");
    expect(roleFor(["", ""])).toBe("viewer"); // Discord's unset options
    expect(roleFor(["funding"])).toBe("admin");
    expect(roleFor(["", "off"])).toBe("admin");
    expect(roleFor(["funding", "off"])).toBe("admin");
  });
});

describe("a Telegram lane with silent texts", () => {
  async function burst(silent: readonly boolean[]): Promise<{ text: string; silent: boolean }[]> {
    const sent: { text: string; silent: boolean }[] = [];
    const lanes = new TelegramLanes({ perChatGapMs: 40, groupPerWindow: 20, windowMs: 60_000, maxQueueMs: 3_000 }, (chatId, message: OutgoingMessage, quiet) => {
      sent.push({ text: message.text, silent: quiet });
      return Promise.resolve({ chatId, messageId: String(sent.length) });
    });
    // The first leaves at once; the rest wait for the next slot together and are merged.
    await Promise.all(silent.map((s, i) => lanes.send("-100", { text: `t${i}` }, s)));
    return sent;
  }

  it("keeps a merged message silent only if every text in it was silent", async () => {
    expect(await burst([false, true, true])).toEqual([{ text: "t0", silent: false }, { text: "t1\n\nt2", silent: true }]);
    expect(await burst([true, true, false])).toEqual([{ text: "t0", silent: true }, { text: "t1\n\nt2", silent: false }]);
  });
});
