import { changeChatAlerts, chatAlerts, type ChatAlerts } from "../src/app/chat-settings";
import { ALERT_EVENT_LABELS, ALERT_EVENTS, ALERT_MODE_TEXT, ALERT_MODES, isAlertEvent, isAlertMode } from "../src/core/alert-events";
import type { ModeChange } from "../src/store/chat-settings";
import type { Command } from "./command";
import { UsageError } from "./command";

const HOW_TO_CHANGE = `An admin changes them with /settings <event|all> <${ALERT_MODES.join("|")}>, e.g. /settings funding silent. Replies to commands always come.`;

/** One line per kind of alert: its name (what to type), what it covers, and this chat's mode. */
function describe(alerts: ChatAlerts): string[] {
  return [
    `Alerts in this chat (${alerts.platform} ${alerts.chatId}), per kind:`,
    ...ALERT_EVENTS.map((event) => `${event} — ${ALERT_EVENT_LABELS[event]}: ${ALERT_MODE_TEXT[alerts.modes[event]]}`),
  ];
}

function describeChanges(changes: readonly ModeChange[]): string {
  if (changes.length === 0) return "Nothing changed: this chat already had that setting.";
  const listed = changes.map((c) => `${c.event} ${c.before} → ${c.after}`).join(", ");
  return `Changed for this chat: ${listed}. From the next alert on.`;
}

/**
 * Reading is for any viewer; changing is an admin act: the router asks for admin as soon as any
 * argument is given (`roleFor`), so a viewer's attempt is refused with the role it needs, audited.
 */
export const settingsCommand: Command = {
  name: "settings",
  description: "This chat's alerts per kind: on, silent (no sound) or off; an admin changes them",
  args: [
    { name: "event", description: `${ALERT_EVENTS.join(", ")} or all (admins only)`, required: false },
    { name: "mode", description: "on, silent (sent without a notification sound) or off", required: false },
  ],
  usage: `/settings [event|all] [${ALERT_MODES.join("|")}], e.g. /settings to see this chat's alerts, /settings funding silent to change one (admin); events: ${ALERT_EVENTS.join(", ")}`,
  role: "viewer",
  roleFor: (args) => (args.some((arg) => arg.trim() !== "") ? "admin" : "viewer"),
  async run(app, args, actor, chatId) {
    const [eventWord = "", modeWord = ""] = args.map((arg) => arg.trim().toLowerCase());
    if (eventWord === "" && modeWord === "") {
      return { text: [...describe(await chatAlerts(app, actor.platform, chatId)), HOW_TO_CHANGE].join("\n") };
    }
    if (eventWord === "" || modeWord === "") throw new UsageError("give both a kind of alert and a mode");
    if (eventWord !== "all" && !isAlertEvent(eventWord)) throw new UsageError(`"${eventWord.slice(0, 20)}" is not a kind of alert`);
    if (!isAlertMode(modeWord)) throw new UsageError(`"${modeWord.slice(0, 20)}" is not a mode`);
    const changed = await changeChatAlerts(app, actor, chatId, eventWord, modeWord);
    return { text: [describeChanges(changed.changes), ...describe(changed)].join("\n") };
  },
};
