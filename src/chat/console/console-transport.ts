import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { createInterface, type Interface } from "node:readline";
import type { ChatHandlers, ChatTransport, CommandInfo, MessageRef, OutgoingMessage, Reply } from "../transport";

/**
 * Alerts on the terminal, and — when stdin is a terminal — commands typed there (/status,
 * /approve <id> …) as the local operator. Buttons are shown as the commands that do the same.
 */
export class ConsoleTransport implements ChatTransport {
  readonly platform = "console" as const;
  private nextId = 1;
  private reader: Interface | null = null;

  /** `imageDir`: where reply images are written (default: a fresh folder under the system's temp dir). */
  constructor(private readonly options: { write?: (text: string) => void; readStdin?: boolean; imageDir?: string } = {}) {}

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
          .then((reply) => this.showReply(reply))
          .catch((error: unknown) => this.write(`Could not show the reply: ${error instanceof Error ? error.message : String(error)}`));
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

  /** A terminal shows no pictures: an image is written to a file and its path printed under the text. */
  async showReply(reply: Reply): Promise<void> {
    if (reply.image === undefined) {
      this.write(reply.text);
      return;
    }
    const dir = this.options.imageDir ?? await mkdtemp(join(tmpdir(), "perpbot-"));
    const file = join(dir, basename(reply.image.filename));
    await writeFile(file, reply.image.png);
    this.write(`${reply.text}\n[image: ${file}]`);
  }

  private render(message: OutgoingMessage, label: string): string {
    const buttons = (message.buttons ?? []).map((b) => `[${b.label}]`).join(" ");
    return `\n── perpbot ${label} ──\n${message.text}${buttons ? `\n${buttons}` : ""}`;
  }
}
