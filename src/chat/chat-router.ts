import type { Command } from "../../commands/command";
import { approveProposal, rejectProposal } from "../app/decide-proposal";
import { UserError, type App } from "../app/context";
import { audit } from "../store/audit";
import { loadTrade } from "../store/trade-repo";
import { decodeButton } from "./callback-codec";
import { renderProposal } from "./render/proposal-card";
import type { Actor, ButtonOutcome, ChatHandlers, MessageRef, OutgoingMessage, Reply } from "./transport";

/** The allow-list check, in one place for every command and every button on every platform. */
export function isAllowed(app: App, actor: Actor): boolean {
  if (actor.platform === "console") return true; // the operator at the machine's own terminal
  return app.settings.allowedUsers[actor.platform].includes(actor.userId);
}

function refusal(actor: Actor): string {
  const variable = actor.platform === "telegram" ? "TELEGRAM_ALLOWED_USER_IDS" : "DISCORD_ALLOWED_USER_IDS";
  return `Sorry ${actor.displayName}, you are not allowed to operate this bot. The owner can add your user id ${actor.userId} to ${variable}.`;
}

const GENERIC_FAILURE = "Something went wrong on our side; nothing was changed. The details are in the bot's log.";

export function helpText(commands: readonly Command[]): string {
  const lines = commands.map((c) => `/${c.name}${c.args.map((a) => (a.required ? ` <${a.name}>` : ` [${a.name}]`)).join("")} — ${c.description}`);
  return ["perpbot watches perpetual futures and proposes trades; each needs an Approve from an allowed user.", ...lines, "/help — this list"].join("\n");
}

/**
 * Routes every inbound chat action: authorization first, then the command or button, then the
 * audit entry. It never throws: a UserError becomes its message, anything else a generic apology
 * (the details go to the log, never to the chat).
 */
export function createChatRouter(app: App, commands: readonly Command[]): ChatHandlers {
  const byName = new Map(commands.map((c) => [c.name, c]));

  async function onCommand(rawName: string, args: readonly string[], actor: Actor): Promise<Reply> {
    const name = rawName.toLowerCase();
    const now = app.clock();
    if (name === "help" || name === "start") return { text: helpText(commands) };
    const command = byName.get(name);
    if (command === undefined) return { text: `Unknown command /${rawName}. Send /help for the list.` };
    if (!isAllowed(app, actor)) {
      await audit(app.db, { actor, action: `/${name}`, outcome: "refused", detail: "user not allowed", now });
      return { text: refusal(actor) };
    }
    try {
      const reply = await command.run(app, args, actor);
      if (command.mutates) await audit(app.db, { actor, action: `/${name}`, target: args.join(" "), outcome: "ok", now });
      return reply;
    } catch (error) {
      return { text: await failure(error, actor, `/${name}`, args.join(" ")) };
    }
  }

  async function onButton(data: string, actor: Actor, message: MessageRef): Promise<ButtonOutcome> {
    const now = app.clock();
    const action = decodeButton(data);
    if (action === null) {
      await audit(app.db, { actor, action: "button", target: data.slice(0, 64), outcome: "refused", detail: "unknown button data", now });
      return { toast: "This button is no longer valid. Send /status for the current state." };
    }
    if (!isAllowed(app, actor)) {
      await audit(app.db, { actor, action: action.kind, target: action.proposalId, outcome: "refused", detail: `user not allowed (${message.platform} ${message.chatId})`, now });
      return { toast: refusal(actor) };
    }
    await adoptMessage(action.proposalId, message);
    try {
      if (action.kind === "approve") await approveProposal(app, action.proposalId, actor);
      else await rejectProposal(app, action.proposalId, actor);
      await audit(app.db, { actor, action: action.kind, target: action.proposalId, outcome: "ok", now });
      // No edit here: the decision's card intent (committed with it, dispatched at once) updates
      // every copy through the versioned path. An edit rendered now could land after the fill's
      // and leave the card saying "executing" on an open position.
      return { toast: action.kind === "approve" ? `Approved. Executing the ${app.broker.mode} order…` : "Rejected. Nothing will be traded." };
    } catch (error) {
      const toast = await failure(error, actor, action.kind, action.proposalId);
      const edit = await currentCard(action.proposalId);
      return { toast, ...(edit ? { edit } : {}) };
    }
  }

  /**
   * A card we posted but never recorded (the bot died between the chat accepting it and saving its
   * id) becomes known the moment someone presses it: from then on it is edited with the others.
   */
  async function adoptMessage(proposalId: string, message: MessageRef): Promise<void> {
    const known = await app.db.chatMessage.findUnique({ where: { platform_chatId_messageId: { platform: message.platform, chatId: message.chatId, messageId: message.messageId } } });
    if (known !== null || (await app.db.proposal.count({ where: { id: proposalId } })) === 0) return;
    await app.db.chatMessage.create({ data: { proposalId, platform: message.platform, chatId: message.chatId, messageId: message.messageId, version: -1 } }).catch(() => undefined);
    app.logger.warn({ proposalId, platform: message.platform, chatId: message.chatId }, "a card copy nobody had recorded was pressed; it is tracked from now on");
  }

  async function currentCard(proposalId: string): Promise<OutgoingMessage | null> {
    const stored = await loadTrade(app.db, proposalId).catch(() => null);
    if (stored === null) return null;
    const signalId = stored.state.terms.signalId;
    const signal = signalId === null ? null : await app.db.signal.findUnique({ where: { id: signalId } });
    return renderProposal({ trade: stored.state, signal, now: app.clock(), mode: app.broker.mode });
  }

  async function failure(error: unknown, actor: Actor, action: string, target: string): Promise<string> {
    const now = app.clock();
    if (error instanceof UserError) {
      await audit(app.db, { actor, action, target, outcome: "refused", detail: error.message, now });
      return error.message;
    }
    app.logger.error({ err: error, action, target, user: actor.userId }, "chat action failed");
    await audit(app.db, { actor, action, target, outcome: "error", detail: error instanceof Error ? error.name : "error", now }).catch(() => undefined);
    return GENERIC_FAILURE;
  }

  return { onCommand, onButton };
}
