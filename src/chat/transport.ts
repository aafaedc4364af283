/**
 * The seam between platform-neutral commands and the chat platforms. Telegram, Discord and the
 * console each implement ChatTransport; commands and use cases never see a vendor SDK.
 */
export type Platform = "telegram" | "discord" | "console";

/** Who pressed a button or typed a command. `userId` is the platform's numeric id as a string. */
export interface Actor {
  readonly platform: Platform;
  readonly userId: string;
  readonly displayName: string;
}

export type ButtonStyle = "primary" | "danger" | "secondary";

/** `data` is already encoded with the callback codec (src/chat/callback-codec.ts), ≤ 64 bytes. */
export interface Button {
  readonly label: string;
  readonly data: string;
  readonly style: ButtonStyle;
}

/** Plain text (no markup: every platform shows it verbatim) plus an optional row of buttons. */
export interface OutgoingMessage {
  readonly text: string;
  readonly buttons?: readonly Button[];
}

/**
 * A command's answer. An empty text means no answer at all (a refusal that was rate-limited: it is
 * audited, but a stranger must not be able to make the bot talk in a group at will).
 */
export interface Reply extends OutgoingMessage {
  /**
   * For the sender only, where the app allows it: an ephemeral reply on Discord; on Telegram a
   * reply to the sender's own message (a bot cannot whisper in a group). Refusals and usage lines.
   */
  readonly private?: boolean;
  /**
   * A picture sent with `text` as its caption (Telegram: a photo, caption fitted to 1,024
   * characters, the rest following as a message; Discord: an attachment; console: a file).
   */
  readonly image?: ReplyImage;
}

/** A PNG for a reply, e.g. /chart's equity curve; `filename` ends in ".png". */
export interface ReplyImage {
  readonly png: Buffer;
  readonly filename: string;
}

/** Where a sent message lives, so it can be edited later (e.g. "Approved by …"). */
export interface MessageRef {
  readonly platform: Platform;
  readonly chatId: string;
  readonly messageId: string;
}

export interface CommandArgInfo {
  readonly name: string;
  readonly description: string;
  readonly required: boolean;
}

/** What a transport needs to register and parse a command (Discord slash commands, Telegram menu). */
export interface CommandInfo {
  readonly name: string;
  readonly description: string;
  readonly args: readonly CommandArgInfo[];
}

/**
 * What a press is told the moment it arrives, from memory only (the button's data, the presser's
 * role): never after a database read, so no decision, lock or slow disk can delay it.
 */
export interface Acknowledgement {
  /** For the presser only ("Approving…", or a refusal). "" stops the button's spinner without a word. */
  readonly text: string;
  /** The text is the whole answer (a refusal, a button no longer valid): nothing is decided after it. */
  readonly final: boolean;
}

/**
 * Sends the acknowledgement (Telegram: the press's one answerCallbackQuery; Discord: the initial
 * response; console: a line). Resolves once it is sent: true when the press may be acted on, false
 * when the platform already told the presser it failed (Discord, past its 3 s), so nothing is done.
 */
export type Acknowledge = (ack: Acknowledgement) => Promise<boolean>;

/** The result of a press, once decided (after its acknowledgement). */
export interface ButtonOutcome {
  /**
   * For the presser only (Discord: an ephemeral message; console: a line). When the press was
   * acknowledged through `Acknowledge`, only what the acknowledgement did not already say ("" for
   * a refusal); Telegram has no private channel left then and shows `notice` instead.
   */
  readonly toast: string;
  /** New content for the message that carried the button, when it changes. */
  readonly edit?: OutgoingMessage;
  /**
   * The result for everyone, for a platform that cannot tell the presser privately after the
   * acknowledgement (Telegram: a short reply to the card), given only when the card itself cannot
   * show it (a refusal that leaves the proposal pending: paused, the price moved). Never names anyone.
   */
  readonly notice?: string;
}

/** Implemented once (src/chat/chat-router.ts); every transport calls it. Never throws. */
export interface ChatHandlers {
  /**
   * `chatId`: where the command was typed (a group, a channel, a private chat), for commands about
   * that chat (/settings); the transport gives it whenever it knows it.
   */
  onCommand(name: string, args: readonly string[], actor: Actor, chatId?: string): Promise<Reply>;
  /**
   * A press: acknowledged through `acknowledge` first (at once, from memory), decided after it.
   * Without `acknowledge` (tests, the demo) the outcome's toast carries the whole answer; a
   * handler that never calls it leaves the transport to answer with the outcome's toast.
   */
  onButton(data: string, actor: Actor, message: MessageRef, acknowledge?: Acknowledge): Promise<ButtonOutcome>;
}

export interface ChatTransport {
  readonly platform: Platform;
  /**
   * The chats `broadcast` posts to, as configured: mirrored into the Chat table at start, where
   * their alert settings (/settings) hang. A transport without it has no per-chat settings.
   */
  readonly chatIds?: readonly string[];
  /** Connects, registers commands where the platform has a registry, and starts dispatching. */
  start(handlers: ChatHandlers, commands: readonly CommandInfo[]): Promise<void>;
  stop(): Promise<void>;
  /**
   * Sends to every configured chat/channel of this platform except those in `skip` (chat ids that
   * already got this message on an earlier attempt: a retried notice is posted once per chat);
   * returns where each copy landed. A chat that failed for good (bot removed) is logged and
   * skipped; one that may work later (rate limit, outage) makes it throw a DeliveryError.
   * `silent`: chat ids that get this message without a notification sound (a chat's alert setting
   * "silent"; Telegram disable_notification, Discord SUPPRESS_NOTIFICATIONS).
   */
  broadcast(message: OutgoingMessage, skip?: ReadonlySet<string>, silent?: ReadonlySet<string>): Promise<MessageRef[]>;
  /** Replaces text and buttons of an earlier message; an unchanged message is not an error. */
  edit(ref: MessageRef, message: OutgoingMessage): Promise<void>;
}

/**
 * Some destinations could not be reached for now (rate limit, outage, not connected yet). Carries
 * the copies that did land, so the caller records them and a retry does not post them again, and
 * how long the platform asked us to wait, so the caller (a queue job) retries no earlier.
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly delivered: readonly MessageRef[],
    /** The platform's own retry-after (Telegram's parameters.retry_after), when it gave one. */
    readonly retryAfterMs: number | null,
  ) {
    super(message);
    this.name = "DeliveryError";
  }
}
