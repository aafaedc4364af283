import { DeliveryError, type OutgoingMessage } from "../transport";

/**
 * Telegram's limits per chat, as its FAQ gives them: about one message a second in one chat, and
 * at most 20 a minute in a group. Tests shrink them.
 */
export interface Pacing {
  /** Least time between two messages to the same chat. */
  readonly perChatGapMs: number;
  /** Most messages to one group (negative chat id) in any `windowMs`. */
  readonly groupPerWindow: number;
  readonly windowMs: number;
  /**
   * The longest a message may wait for its turn in-process; beyond it the send fails at once with
   * the wait as its retry-after, and the queue sends it later (a shutdown never waits on a lane).
   */
  readonly maxQueueMs: number;
}

export const TELEGRAM_PACING: Pacing = { perChatGapMs: 1_000, groupPerWindow: 20, windowMs: 60_000, maxQueueMs: 3_000 };

/** Telegram's text limit; merged texts stay within it. */
const MAX_TEXT = 4096;
const MERGE_SEPARATOR = "\n\n";

export interface LaneSent { readonly chatId: string; readonly messageId: string; readonly merged: number }
/** `silent`: without a notification sound (Telegram's disable_notification). */
type Send = (chatId: string, message: OutgoingMessage, silent: boolean) => Promise<{ chatId: string; messageId: string }>;
interface Waiting { readonly message: OutgoingMessage; readonly silent: boolean; readonly resolve: (sent: LaneSent) => void; readonly reject: (error: unknown) => void }

/**
 * One outbound lane per chat: messages to a chat leave one at a time, paced to Telegram's limits,
 * and never wait on another chat. Texts that pile up behind a paced one (a burst of alerts) leave
 * together as one message instead of one a second; a message with buttons (a card) is never merged,
 * its buttons belong to it alone.
 */
export class TelegramLanes {
  private readonly lanes = new Map<string, Lane>();

  constructor(private readonly pacing: Pacing, private readonly sendNow: Send) {}

  send(chatId: string, message: OutgoingMessage, silent = false): Promise<LaneSent> {
    let lane = this.lanes.get(chatId);
    if (lane === undefined) {
      // Lanes are kept: there is one per configured chat, a handful.
      lane = new Lane(chatId, this.pacing, this.sendNow);
      this.lanes.set(chatId, lane);
    }
    return lane.push(message, silent);
  }
}

class Lane {
  private readonly waiting: Waiting[] = [];
  /** When recent messages left (the group window), oldest first; the last one also paces the next. */
  private readonly sentAt: number[] = [];
  private pumping = false;

  constructor(private readonly chatId: string, private readonly pacing: Pacing, private readonly sendNow: Send) {}

  push(message: OutgoingMessage, silent: boolean): Promise<LaneSent> {
    const wait = this.waitFor(Date.now(), this.waiting.length === 0 || !this.mergeable(message));
    if (wait > this.pacing.maxQueueMs) {
      return Promise.reject(new DeliveryError(`Telegram chat ${this.chatId}: paced, next free slot in ${wait} ms`, [], wait));
    }
    return new Promise<LaneSent>((resolve, reject) => {
      this.waiting.push({ message, silent, resolve, reject });
      if (!this.pumping) void this.pump();
    });
  }

  /**
   * How long a new message would wait: the next free slot, plus one slot for each message queued
   * before it that it cannot ride along with.
   */
  private waitFor(now: number, ownSlot: boolean): number {
    const queuedSlots = this.batches(this.waiting.map((w) => w.message)) + (ownSlot ? 0 : -1);
    let at = this.nextSlot(now);
    for (let i = 0; i < Math.max(0, queuedSlots); i += 1) at += this.pacing.perChatGapMs;
    return Math.max(0, at - now);
  }

  private mergeable(message: OutgoingMessage): boolean {
    const last = this.waiting.at(-1)?.message;
    return last !== undefined && isText(last) && isText(message) && last.text.length + MERGE_SEPARATOR.length + message.text.length <= MAX_TEXT;
  }

  private batches(messages: readonly OutgoingMessage[]): number {
    let count = 0;
    let text = -1;
    for (const m of messages) {
      if (isText(m) && text >= 0 && text + MERGE_SEPARATOR.length + m.text.length <= MAX_TEXT) text += MERGE_SEPARATOR.length + m.text.length;
      else { count += 1; text = isText(m) ? m.text.length : -1; }
    }
    return count;
  }

  /** The earliest time the next message may leave. */
  private nextSlot(now: number): number {
    const last = this.sentAt.at(-1);
    let at = last === undefined ? now : Math.max(now, last + this.pacing.perChatGapMs);
    if (this.chatId.startsWith("-")) {
      const recent = this.sentAt.filter((t) => t > now - this.pacing.windowMs);
      const oldest = recent[recent.length - this.pacing.groupPerWindow];
      if (recent.length >= this.pacing.groupPerWindow && oldest !== undefined) at = Math.max(at, oldest + this.pacing.windowMs);
    }
    return at;
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      for (;;) {
        const head = this.waiting[0];
        if (head === undefined) break;
        const wait = this.nextSlot(Date.now()) - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const batch = this.takeBatch();
        const message = batch.length === 1 ? head.message : { text: batch.map((w) => w.message.text).join(MERGE_SEPARATOR) };
        // Merged texts make a sound if any of them should: a silent one must not mute a loud one.
        const silent = batch.every((w) => w.silent);
        try {
          const sent = await this.sendNow(this.chatId, message, silent);
          this.noteSent();
          for (const w of batch) w.resolve({ ...sent, merged: batch.length });
        } catch (error) {
          this.noteSent();
          for (const w of batch) w.reject(error);
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  /**
   * Paced from when Telegram answered, not from when the request left: Telegram counts a message
   * when it arrives, somewhere between the two, so pacing from the send could put two arrivals
   * closer than the gap whenever one request travels slower than the next.
   */
  private noteSent(): void {
    this.sentAt.push(Date.now());
    while (this.sentAt.length > Math.max(this.pacing.groupPerWindow, 1)) this.sentAt.shift();
  }

  /** The head, plus the texts right behind it when it is a text itself (within Telegram's length). */
  private takeBatch(): Waiting[] {
    const batch = this.waiting.splice(0, 1);
    const first = batch[0];
    if (first === undefined || !isText(first.message)) return batch;
    let length = first.message.text.length;
    while (this.waiting[0] !== undefined && isText(this.waiting[0].message) && length + MERGE_SEPARATOR.length + this.waiting[0].message.text.length <= MAX_TEXT) {
      length += MERGE_SEPARATOR.length + this.waiting[0].message.text.length;
      batch.push(...this.waiting.splice(0, 1));
    }
    return batch;
  }
}

const isText = (message: OutgoingMessage): boolean => (message.buttons ?? []).length === 0;
