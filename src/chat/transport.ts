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

export type Reply = OutgoingMessage;

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

export interface ButtonOutcome {
  /** Short text shown to the presser only (Telegram answerCallbackQuery, Discord ephemeral reply). */
  readonly toast: string;
  /** New content for the message that carried the button, when it changes. */
  readonly edit?: OutgoingMessage;
}

/** Implemented once (src/chat/chat-router.ts); every transport calls it. Never throws. */
export interface ChatHandlers {
  onCommand(name: string, args: readonly string[], actor: Actor): Promise<Reply>;
  onButton(data: string, actor: Actor, message: MessageRef): Promise<ButtonOutcome>;
}

export interface ChatTransport {
  readonly platform: Platform;
  /** Connects, registers commands where the platform has a registry, and starts dispatching. */
  start(handlers: ChatHandlers, commands: readonly CommandInfo[]): Promise<void>;
  stop(): Promise<void>;
  /** Sends to every configured chat/channel of this platform; returns where each copy landed. */
  broadcast(message: OutgoingMessage): Promise<MessageRef[]>;
  /** Replaces text and buttons of an earlier message; an unchanged message is not an error. */
  edit(ref: MessageRef, message: OutgoingMessage): Promise<void>;
}
