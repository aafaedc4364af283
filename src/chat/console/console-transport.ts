import { createInterface, type Interface } from "node:readline";
import type { ChatHandlers, ChatTransport, CommandInfo, MessageRef, OutgoingMessage } from "../transport";

/**
 * Alerts on the terminal, and — when stdin is a terminal — commands typed there (/status,
 * /approve <id> …) as the local operator. Buttons are shown as the commands that do the same.
 */
export class ConsoleTransport implements ChatTransport {
  readonly platform = "console" as const;
  private nextId = 1;
  private reader: Interface | null = null;

  constructor(private readonly options: { write?: (text: string) => void; readStdin?: boolean } = {}) {}

  private write(text: string): void {
    (this.options.write ?? ((t: string) => process.stdout.write(`${t}\n`)))(text);
  }

  start(handlers: ChatHandlers, _commands: readonly CommandInfo[]): Promise<void> {
    if (this.options.readStdin === true && process.stdin.isTTY) {
      this.reader = createInterface({ input: process.stdin });
      this.reader.on("line", (line) => {
        const [first, ...args] = line.trim().split(/\s+/);
        if (!first?.startsWith("/")) return;
        void handlers.onCommand(first.slice(1), args, { platform: "console", userId: "console", displayName: "console operator" })
          .then((reply) => this.write(reply.text));
      });
    }
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.reader?.close();
    this.reader = null;
    return Promise.resolve();
  }

  broadcast(message: OutgoingMessage, skip?: ReadonlySet<string>): Promise<MessageRef[]> {
    // A retried notice that this console already showed is not shown twice.
    if (skip?.has("console") ?? false) return Promise.resolve([]);
    const messageId = String(this.nextId++);
    this.write(this.render(message, `#${messageId}`));
    return Promise.resolve([{ platform: "console", chatId: "console", messageId }]);
  }

  edit(ref: MessageRef, message: OutgoingMessage): Promise<void> {
    this.write(this.render(message, `#${ref.messageId} (updated)`));
    return Promise.resolve();
  }

  private render(message: OutgoingMessage, label: string): string {
    const buttons = (message.buttons ?? []).map((b) => `[${b.label}]`).join(" ");
    return `\n── perpbot ${label} ──\n${message.text}${buttons ? `\n${buttons}` : ""}`;
  }
}
