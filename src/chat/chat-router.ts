import { argumentsFit, UsageError, type Command } from "../../commands/command";
import { approveProposal, rejectProposal } from "../app/decide-proposal";
import { UserError, type App } from "../app/context";
import type { TradeState } from "../core/trading/types";
import { audit, type AuditOutcome } from "../store/audit";
import { tradingGate } from "../app/trading-state";
import { loadTrade } from "../store/trade-repo";
import { buttonRole, decodeButton, type ButtonAction } from "./callback-codec";
import { pressCloseButton } from "./close-buttons";
import { roleAtLeast, roleOf, roleVariable, type Role } from "./roles";
import { fitToast } from "./render/fit-text";
import { renderProposal } from "./render/proposal-card";
import type { Acknowledge, Acknowledgement, Actor, ButtonOutcome, ChatHandlers, MessageRef, OutgoingMessage, Reply } from "./transport";

/**
 * The role check, in one place for every command and every button on every platform: the role of
 * whoever acts (null: a stranger), read from memory (see `roleOf` for why not from the database).
 */
export function actorRole(app: App, actor: Actor): Role | null {
  return roleOf(app.settings.chatRoles, actor);
}

/**
 * At most one answer per stranger per minute: someone with no role, pressing buttons or
 * typing commands in a group, must not be able to make the bot talk there at will. Every attempt
 * is still audited.
 */
export const REFUSAL_ANSWER_INTERVAL_MS = 60_000;

/**
 * Never the stranger's name or username: in a group the answer is read by everyone, and echoing a
 * name lets anyone make the bot say whatever they put in their display name. The user id is in the
 * audit log for the owner; the text only says which setting to change.
 */
function refusal(actor: Actor, what: string, needed: Role): string {
  const variable = roleVariable(actor.platform === "discord" ? "discord" : "telegram", needed);
  return `You are not allowed to ${what}. Send /whoami for your user id; the bot's owner can allow you by adding it to ${variable}.`;
}

/** What a stranger is told they may not do, per button kind (a Record: a new kind must say it). */
const BUTTON_DEEDS: Record<ButtonAction["kind"], string> = {
  approve: "approve proposals", reject: "reject proposals", "close-confirm": "close positions", "close-cancel": "close positions",
};

/** For a user who has a role, but a lower one: which role is needed and which they have, never a name. */
function roleTooLow(what: string, needed: Role, has: Role): string {
  return `${what} needs the ${needed} role; you are ${has === "viewer" ? "a" : "an"} ${has}.`;
}

/** Said at once to an allowed presser, while the decision runs; the card then shows the outcome and who decided. */
const PRESS_ACKS: Record<ButtonAction["kind"], string> = {
  approve: "Approving…", reject: "Rejecting…", "close-confirm": "Closing…", "close-cancel": "Cancelling the close…",
};

const INVALID_BUTTON = "This button is no longer valid. Send /status for the current state.";

/**
 * Resolves after the I/O already waiting (the acknowledgement leaving, the next press arriving):
 * the decision's database work is synchronous (better-sqlite3) and would otherwise run first.
 */
const afterWaitingIo = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

type AuditEntry = Parameters<typeof audit>[1];

/** A press screened from memory: what to say at once, and what to do after it has been said. */
interface ScreenedPress {
  readonly ack: Acknowledgement;
  /** The refusal's audit, or the decision; `acted` false: the platform refused the acknowledgement. */
  readonly settle: (acted: boolean) => Promise<ButtonOutcome>;
}

const notAnswered = (detail: string): string => `${detail}; not answered (one answer to a stranger per minute)`;

const GENERIC_FAILURE = "Something went wrong on our side; nothing was changed. The details are in the bot's log.";

/**
 * Every command, those above the reader's role marked with the role they need: a viewer learns
 * that /pause exists and whom to ask, instead of meeting a refusal for a command /help never
 * showed, and everyone gets the same list in the same order (a stranger sees every command marked).
 */
export function helpText(commands: readonly Command[], role: Role | null): string {
  const lines = commands.map((c) => {
    const mark = c.openToEveryone === true || (role !== null && roleAtLeast(role, c.role)) ? "" : ` (${c.role})`;
    return `/${c.name}${c.args.map((a) => (a.required ? ` <${a.name}>` : ` [${a.name}]`)).join("")} — ${c.description}${mark}`;
  });
  const whose = role === null
    ? "You have no role here yet: send /whoami for your user id and give it to the bot's owner."
    : `Your role: ${role}. A command marked with a role needs it.`;
  return ["perpbot watches perpetual futures and proposes trades; each needs an Approve from an approver.", whose, ...lines, "/help — this list"].join("\n");
}

/**
 * "/STATUS", "/Status" and "/status@perpbot_bot" (Telegram adds the bot's name in groups) are all
 * /status. Transports already drop a suffix naming this bot; one left here is stripped, not trusted.
 */
export function commandName(raw: string): string {
  return (raw.split("@", 1)[0] ?? "").toLowerCase();
}

/**
 * Routes every inbound chat action: authorization first, then the command or button, then the
 * audit entry (reads included). It never throws: a UserError becomes its message, anything else a
 * generic apology (the details go to the log, never to the chat).
 */
export function createChatRouter(app: App, commands: readonly Command[]): ChatHandlers {
  const byName = new Map(commands.map((c) => [c.name, c]));
  /** platform:userId → when that stranger was last answered. Memory only: a restart forgets, which is harmless. */
  const lastStrangerAnswer = new Map<string, number>();

  async function onCommand(rawName: string, args: readonly string[], actor: Actor, chatId?: string): Promise<Reply> {
    const name = commandName(rawName);
    const action = `/${name}`.slice(0, 40);
    const target = args.join(" ").slice(0, 200);
    try {
      const command = byName.get(name);
      const role = actorRole(app, actor);
      if (command === undefined) {
        const help = name === "help" || name === "start";
        const text = help ? helpText(commands, role) : `Unknown command ${action}. Send /help for the list.`;
        const entry = { actor, action, target, outcome: help ? "ok" as const : "refused" as const, detail: help ? "help" : "unknown command" };
        if (role === null) return { text: await answerStranger(entry, text) };
        await audit(app.db, { ...entry, now: app.clock() });
        return { text };
      }
      const asked = command.roleFor?.(args);
      const needed = asked !== undefined && !roleAtLeast(command.role, asked) ? asked : command.role; // never below `role`
      if (role === null) {
        if (command.openToEveryone === true) {
          const reply = await command.run(app, args, actor, chatId);
          return { ...reply, text: await answerStranger({ actor, action, target, outcome: "ok", detail: "open to everyone" }, reply.text, command.name) };
        }
        return { text: await answerStranger({ actor, action, target, outcome: "refused", detail: "user not allowed" }, refusal(actor, `use ${action}`, needed)), private: true };
      }
      if (command.openToEveryone !== true && !roleAtLeast(role, needed)) {
        // Someone the owner named: answered every time (no rate limit), privately, and audited.
        await audit(app.db, { actor, action, target, outcome: "refused", detail: `needs ${needed}, has ${role}`, now: app.clock() });
        return { text: roleTooLow(action, needed, role), private: true };
      }
      if (!argumentsFit(command, args)) return await usage(command, actor, target, "wrong number of arguments");
      const reply = await command.run(app, args, actor, chatId);
      await audit(app.db, { actor, action, target, outcome: "ok", detail: `as ${role}`, now: app.clock() });
      return reply;
    } catch (error) {
      const command = byName.get(name);
      if (error instanceof UsageError && command !== undefined) return await usage(command, actor, target, error.message).catch(() => ({ text: GENERIC_FAILURE }));
      return { text: await failure(error, actor, action, target) };
    }
  }

  async function usage(command: Command, actor: Actor, target: string, detail: string): Promise<Reply> {
    await audit(app.db, { actor, action: `/${command.name}`, target, outcome: "refused", detail: `usage: ${detail}`, now: app.clock() });
    return { text: `Usage: ${command.usage}`, private: true };
  }

  /**
   * A press: screened from memory (the data, the presser's role), acknowledged with that at once,
   * decided only after the acknowledgement has left (issue 9: acknowledge first, p99 ≤ 20 ms).
   * Everything written — the refusal's audit too — is written after it.
   */
  async function onButton(data: string, actor: Actor, message: MessageRef, acknowledge?: Acknowledge): Promise<ButtonOutcome> {
    const press = screenButton(data, actor, message);
    const ack = { ...press.ack, text: fitToast(press.ack.text) };
    let acted = true;
    if (acknowledge !== undefined) {
      acted = await acknowledge(ack).catch((error: unknown) => {
        app.logger.error({ err: error }, "acknowledging a button press failed; deciding it anyway");
        return true;
      });
      await afterWaitingIo();
    }
    const outcome = await press.settle(acted);
    // A refusal's acknowledgement already said everything to the presser.
    const said = acknowledge !== undefined && ack.final;
    return { ...outcome, toast: said ? "" : fitToast(outcome.toast) };
  }

  function screenButton(data: string, actor: Actor, message: MessageRef): ScreenedPress {
    const now = app.clock();
    const action = decodeButton(data);
    if (action === null) return refusedPress(INVALID_BUTTON, { actor, action: "button", target: data.slice(0, 64), outcome: "refused", detail: "unknown button data", now });
    const role = actorRole(app, actor);
    const needed = buttonRole(action);
    const entry = { actor, action: action.kind, target: action.proposalId, outcome: "refused" as const, now };
    if (role === null) {
      // The answer is seen by the presser only, and an empty one just stops the button's spinner.
      const detail = `user not allowed (${message.platform} ${message.chatId})`;
      const answer = mayAnswerStranger(actor, now);
      return refusedPress(answer ? refusal(actor, BUTTON_DEEDS[action.kind], needed) : "", { ...entry, detail: answer ? detail : notAnswered(detail) });
    }
    if (!roleAtLeast(role, needed)) {
      return refusedPress(roleTooLow("This button", needed, role), { ...entry, detail: `needs ${needed}, has ${role} (${message.platform} ${message.chatId})` });
    }
    return {
      ack: { text: PRESS_ACKS[action.kind], final: false },
      settle: async (acted) => {
        if (!acted) {
          await audit(app.db, { ...entry, detail: "not acknowledged in time (the app told the presser it failed); not acted on", now: app.clock() });
          return { toast: "" };
        }
        if (action.kind === "close-confirm" || action.kind === "close-cancel") return await pressCloseButton(app, action, actor);
        return await decideProposal(action, actor, message, role);
      },
    };
  }

  function refusedPress(text: string, entry: AuditEntry): ScreenedPress {
    return {
      ack: { text, final: true },
      settle: async () => {
        await audit(app.db, entry).catch((error: unknown) => app.logger.error({ err: error, action: entry.action }, "could not audit a refused button press"));
        return { toast: text };
      },
    };
  }

  async function decideProposal(action: Extract<ButtonAction, { kind: "approve" | "reject" }>, actor: Actor, message: MessageRef, role: Role): Promise<ButtonOutcome> {
    try {
      // Each step is one synchronous run of database work; between them the next press can be answered.
      await adoptMessage(action.proposalId, message);
      await afterWaitingIo();
      if (action.kind === "approve") await approveProposal(app, action.proposalId, actor);
      else await rejectProposal(app, action.proposalId, actor);
      await afterWaitingIo();
      await audit(app.db, { actor, action: action.kind, target: action.proposalId, outcome: "ok", detail: `as ${role}`, now: app.clock() });
      // No edit here: the decision's card intent (committed with it, dispatched at once) updates
      // every copy through the versioned path. An edit rendered now could land after the fill's
      // and leave the card saying "executing" on an open position.
      return { toast: action.kind === "approve" ? `Approved. Executing the ${app.broker.mode} order…` : "Rejected. Nothing will be traded." };
    } catch (error) {
      const toast = await failure(error, actor, action.kind, action.proposalId);
      await afterWaitingIo();
      const stored = await loadTrade(app.db, action.proposalId).catch(() => null);
      const edit = stored === null ? null : await renderCard(stored.state).catch(() => null);
      // Decided or expired meanwhile: the card says so, and who decided. Still pending: it cannot.
      const pending = stored !== null && stored.state.status === "pending" && app.clock() < stored.state.terms.expiresAt;
      const notice = stored === null ? "Nothing done: this button's proposal is not known to this bot." : pending ? await pendingNotice(error, toast) : null;
      return { toast, ...(edit ? { edit } : {}), ...(notice === null ? {} : { notice }) };
    }
  }

  /**
   * The public line for a refusal the card cannot show. The approval checks' reasons name no one
   * (prices, spreads, ages); a manual pause names who paused and their free text, so it is only
   * said to be a pause (/status tells the rest).
   */
  async function pendingNotice(error: unknown, toast: string): Promise<string> {
    if (!(error instanceof UserError)) return toast;
    const gate = await tradingGate(app).catch(() => null);
    return gate === null || gate.open ? toast : "Not approved: trading is paused. /status says since when and why.";
  }

  /**
   * Audits every answer to a user who is not on the allow-list, and gives its text only if that
   * user was not answered within the last minute (else "", no answer): refusals, but also /help
   * and unknown commands, so a stranger cannot make the bot talk in a group at will.
   */
  /** `lane`: an open command (/whoami) has its own minute, so the refusal that points to it does not use it up. */
  async function answerStranger(entry: { actor: Actor; action: string; target: string; outcome: AuditOutcome; detail: string }, text: string, lane = ""): Promise<string> {
    const now = app.clock();
    const answer = mayAnswerStranger(entry.actor, now, lane);
    await audit(app.db, { ...entry, detail: answer ? entry.detail : notAnswered(entry.detail), now });
    return answer ? text : "";
  }

  /** From memory only (a press asks it before its acknowledgement): may this stranger be answered now? Counts the answer. */
  function mayAnswerStranger(actor: Actor, now: number, lane = ""): boolean {
    const key = `${actor.platform}:${actor.userId}${lane === "" ? "" : `:${lane}`}`;
    const last = lastStrangerAnswer.get(key);
    const answer = last === undefined || now - last >= REFUSAL_ANSWER_INTERVAL_MS || now < last;
    if (answer) {
      // Forget users whose minute is over, so a stream of different strangers cannot grow the map forever.
      for (const [k, t] of lastStrangerAnswer) if (now - t >= REFUSAL_ANSWER_INTERVAL_MS) lastStrangerAnswer.delete(k);
      lastStrangerAnswer.set(key, now);
    }
    return answer;
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

  async function renderCard(state: TradeState): Promise<OutgoingMessage> {
    const signalId = state.terms.signalId;
    const signal = signalId === null ? null : await app.db.signal.findUnique({ where: { id: signalId } });
    return renderProposal({ trade: state, signal, now: app.clock(), mode: app.broker.mode });
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
