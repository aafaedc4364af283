import type { ChatTransport, MessageRef, OutgoingMessage } from "../../src/chat/transport";
import { SimulatedCrash } from "./simulated-crash";

// The chat platform (survives restarts, as Telegram does) and a per-process transport on it.

export interface RecordedMessage {
  readonly ref: MessageRef;
  text: string;
  buttons: number;
  edits: number;
}

export class ChatPlatform {
  readonly messages = new Map<string, RecordedMessage>();
  private next = 1;
  post(message: OutgoingMessage): MessageRef {
    const ref: MessageRef = { platform: "console", chatId: "chaos", messageId: String(this.next++) };
    this.messages.set(ref.messageId, { ref, text: message.text, buttons: message.buttons?.length ?? 0, edits: 0 });
    return ref;
  }
  edit(ref: MessageRef, message: OutgoingMessage): void {
    const found = this.messages.get(ref.messageId);
    if (found === undefined) throw new Error(`message ${ref.messageId} does not exist`);
    found.text = message.text;
    found.buttons = message.buttons?.length ?? 0;
    found.edits += 1;
  }
}

export class RecordingTransport implements ChatTransport {
  readonly platform = "console" as const;
  constructor(private readonly chat: ChatPlatform, private readonly alive: () => boolean) {}
  start(): Promise<void> {
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
  broadcast(message: OutgoingMessage, skip?: ReadonlySet<string>): Promise<MessageRef[]> {
    // As every transport: a chat that already has this message (a retried notice) is skipped.
    if (skip?.has("chaos") ?? false) return Promise.resolve([]);
    if (!this.alive()) return Promise.reject(new SimulatedCrash("the process is dead (chat)"));
    return Promise.resolve([this.chat.post(message)]);
  }
  edit(ref: MessageRef, message: OutgoingMessage): Promise<void> {
    if (!this.alive()) return Promise.reject(new SimulatedCrash("the process is dead (chat)"));
    this.chat.edit(ref, message);
    return Promise.resolve();
  }
}
