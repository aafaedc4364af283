import { setTimeout as sleep } from "node:timers/promises";
import type { Context, Telegram } from "telegraf";
import type { Logger } from "../../log";
import type { ButtonOutcome, ChatHandlers, MessageRef, OutgoingMessage } from "../transport";
import { actorOf } from "./telegram-wire";

/** A press waits this long for its decision before it is answered anyway (TelegramPresses says why). */
export const ACK_BUDGET_MS = 250;
const WORKING = "Working on it…";

export interface PressDeps {
  readonly log: Logger;
  readonly describe: (error: unknown) => string;
  readonly ackBudgetMs: number;
  readonly apology: string;
  /** answerCallbackQuery, with the transport's 429 handling. */
  readonly answer: (telegram: Telegram, queryId: string, toast: string) => Promise<void>;
  /** A short message replying to `replyTo` (the card). */
  readonly reply: (telegram: Telegram, chatId: number, text: string, replyTo: number) => Promise<void>;
  readonly edit: (telegram: Telegram, chatId: number, messageId: number, message: OutgoingMessage) => Promise<void>;
}

/**
 * Button presses on Telegram. Acknowledge first, within ackBudgetMs, whatever the decision costs.
 * Telegram takes ONE answer per press, and only that answer can show the presser a toast (a bot
 * cannot whisper in a group). So the decision starts at once and races the budget: decided in time
 * (the usual case, tens of ms), the one answer carries the real toast; not in time (a slow or
 * locked database), the press is answered "Working…" at the budget — before the decision is
 * written — and the result follows as a reply to the card. An answer Telegram refuses as too old
 * (the bot was down when the press was made) also gets the result as a reply. Everyone sees the
 * outcome through the card's own edit. A budget of 0 answers before the decision starts.
 *
 * Why not always answer at once: the result would then always be a reply in the chat, in a group a
 * public line per press repeating what the card's edit already shows (issue 9 complains of noise).
 *
 * Once answered, handle() returns: the rest runs on its own, so the update loop reads (and
 * acknowledges) the next press meanwhile; settle() lets those finish at shutdown.
 */
export class TelegramPresses {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly deps: PressDeps) {}

  async handle(ctx: Context, handlers: ChatHandlers): Promise<void> {
    const query = ctx.callbackQuery;
    if (query === undefined) return;
    const message = query.message;
    if (!("data" in query) || message === undefined) {
      // Not one of ours (a game or inline-mode button): still answer, or the client spins for a while.
      await ctx.telegram.answerCbQuery(query.id).catch(() => undefined);
      return;
    }
    const ref: MessageRef = { platform: "telegram", chatId: String(message.chat.id), messageId: String(message.message_id) };
    const decide = (): Promise<ButtonOutcome> => handlers.onButton(query.data, actorOf(query.from), ref).catch((error: unknown): ButtonOutcome => {
      this.deps.log.error({ error: this.deps.describe(error) }, "Button handler threw");
      return { toast: this.deps.apology };
    });
    let early: ButtonOutcome | null = null;
    let decision: Promise<ButtonOutcome>;
    let toastAnswered: boolean;
    if (this.deps.ackBudgetMs <= 0) {
      toastAnswered = await this.answer(ctx.telegram, query.id, WORKING);
      decision = decide();
    } else {
      decision = decide();
      let timer: NodeJS.Timeout | undefined;
      const budget = new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), this.deps.ackBudgetMs); });
      early = await Promise.race([decision, budget]);
      clearTimeout(timer);
      toastAnswered = await this.answer(ctx.telegram, query.id, early === null ? WORKING : early.toast);
    }
    const replyNeeded = early === null || !toastAnswered;
    if (!replyNeeded && early?.edit === undefined) return;
    const rest = this.afterAnswer(ctx.telegram, message.chat.id, message.message_id, decision, replyNeeded);
    this.inFlight.add(rest);
    void rest.finally(() => this.inFlight.delete(rest));
  }

  /** Waits (at most graceMs) for the results of presses already answered. */
  async settle(graceMs: number): Promise<void> {
    if (this.inFlight.size === 0) return;
    await Promise.race([Promise.allSettled([...this.inFlight]), sleep(graceMs, undefined, { ref: false })]);
  }

  /** Answers a press (stops the client's spinner); false when Telegram refused it (too old, answered already). */
  private async answer(telegram: Telegram, queryId: string, toast: string): Promise<boolean> {
    try {
      // In webhook mode telegraf sends this answer in the HTTP response to Telegram.
      await this.deps.answer(telegram, queryId, toast);
      return true;
    } catch (error) {
      this.deps.log.warn({ error: this.deps.describe(error) }, "Could not answer a button press");
      return false;
    }
  }

  /** What follows the answer: the result as a reply when the answer could not carry it, then the edit. */
  private async afterAnswer(telegram: Telegram, chatId: number, messageId: number, decision: Promise<ButtonOutcome>, replyNeeded: boolean): Promise<void> {
    const outcome = await decision;
    if (replyNeeded && outcome.toast.trim() !== "") {
      try {
        await this.deps.reply(telegram, chatId, outcome.toast, messageId);
      } catch (error) {
        this.deps.log.warn({ chatId, messageId, error: this.deps.describe(error) }, "Could not send a button's result as a reply");
      }
    }
    if (outcome.edit === undefined) return;
    try {
      await this.deps.edit(telegram, chatId, messageId, outcome.edit);
    } catch (error) {
      this.deps.log.warn({ chatId, messageId, error: this.deps.describe(error) }, "Could not edit the message after a button press");
    }
  }
}
