import { setTimeout as sleep } from "node:timers/promises";
import type { Context, Telegram } from "telegraf";
import type { Logger } from "../../log";
import type { Acknowledge, ButtonOutcome, ChatHandlers, MessageRef, OutgoingMessage } from "../transport";
import { actorOf } from "./telegram-wire";

export interface PressDeps {
  readonly log: Logger;
  readonly describe: (error: unknown) => string;
  readonly apology: string;
  /** answerCallbackQuery, with the transport's 429 handling. */
  readonly answer: (telegram: Telegram, queryId: string, toast: string) => Promise<void>;
  /** A short message replying to `replyTo` (the card). */
  readonly reply: (telegram: Telegram, chatId: number, text: string, replyTo: number) => Promise<void>;
  readonly edit: (telegram: Telegram, chatId: number, messageId: number, message: OutgoingMessage) => Promise<void>;
}

/**
 * Button presses on Telegram: acknowledged first, decided after (issue 9: p99 ≤ 20 ms). Telegram
 * takes ONE answer per press, and only that answer can show the presser a toast (a bot cannot
 * whisper in a group). The router screens the press from memory and gives that answer at once —
 * "Approving…", or the refusal — and decides only once it has been sent. Everyone then sees the
 * outcome and who decided on the card, through the decision's card intent (and the edit the
 * outcome may carry); only a result the card cannot show (the proposal is still pending: paused,
 * the price moved) follows as a short reply to the card, naming no one.
 *
 * Why not wait briefly for the decision so the answer could carry the real result: the answer then
 * waits behind the database, and behind whatever else the process does (measured: p99 134 ms).
 *
 * Once answered, handle() returns: the decision runs on its own, so the update loop reads (and
 * acknowledges) the next press meanwhile and a webhook's HTTP response, which may carry the answer,
 * is not held; settle() lets the decisions finish at shutdown.
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
    let acknowledged = false;
    let answered: () => void = () => undefined;
    const answer = new Promise<void>((resolve) => { answered = resolve; });
    const acknowledge: Acknowledge = async (ack) => {
      if (acknowledged) return true; // one answer per press, whatever a handler does
      acknowledged = true;
      await this.answer(ctx.telegram, query.id, ack.text);
      answered();
      // Even when Telegram refused the answer as too old (the bot was down), the press was made by
      // someone allowed to: it is decided, and the card shows the outcome.
      return true;
    };
    const decision = handlers.onButton(query.data, actorOf(query.from), ref, acknowledge).catch((error: unknown): ButtonOutcome => {
      this.deps.log.error({ error: this.deps.describe(error) }, "Button handler threw");
      return { toast: this.deps.apology, notice: this.deps.apology };
    });
    await Promise.race([answer, decision]);
    let result = decision;
    if (!acknowledged) {
      // A handler that decided without acknowledging: its toast is the answer, and says it all.
      acknowledged = true;
      const { notice: _said, ...outcome } = await decision;
      await this.answer(ctx.telegram, query.id, outcome.toast);
      result = Promise.resolve(outcome);
    }
    const rest = this.afterAnswer(ctx.telegram, message.chat.id, message.message_id, result);
    this.inFlight.add(rest);
    void rest.finally(() => this.inFlight.delete(rest));
  }

  /** Waits (at most graceMs) for the decisions of presses already answered. */
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

  /** What follows the answer: the edit the outcome carries, then the public notice the card cannot show. */
  private async afterAnswer(telegram: Telegram, chatId: number, messageId: number, decision: Promise<ButtonOutcome>): Promise<void> {
    const outcome = await decision;
    if (outcome.edit !== undefined) {
      try {
        await this.deps.edit(telegram, chatId, messageId, outcome.edit);
      } catch (error) {
        this.deps.log.warn({ chatId, messageId, error: this.deps.describe(error) }, "Could not edit the message after a button press");
      }
    }
    if (outcome.notice === undefined || outcome.notice.trim() === "") return;
    try {
      await this.deps.reply(telegram, chatId, outcome.notice, messageId);
    } catch (error) {
      this.deps.log.warn({ chatId, messageId, error: this.deps.describe(error) }, "Could not send a button's result as a reply");
    }
  }
}
