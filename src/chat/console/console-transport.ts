import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { createInterface, type Interface } from "node:readline";
import type { Actor, ChatHandlers, ChatTransport, CommandInfo, MessageRef, OutgoingMessage, Reply } from "../transport";
import { BUTTON_CODE, ConsoleButtons } from "./console-buttons";

const CONSOLE_CHAT = "console";
const CONSOLE_OPERATOR: Actor = { platform: "console", userId: "console", displayName: "console operator" };

/**
 * Alerts on the terminal, and — when stdin is a terminal — commands typed there (/status,
 * /approve <id> …) as the local operator. Buttons are listed with a short code ("[3a] Approve")
 * that the operator types to press them: the same router and checks as a press in a chat app.
 */
export class ConsoleTransport implements ChatTransport {
  readonly platform = "console" as const;
  private nextId = 1;
  private reader: Interface | null = null;
  private readonly buttons = new ConsoleButtons();
  /** The terminal is one chat, with its own alert settings (/settings typed there). */
  readonly chatIds: readonly string[] = [CONSOLE_CHAT];

  /**
   * `imageDir`: where reply images are written (default: a fresh folder under the system's temp dir).
   * `input`: where typed lines come from instead of stdin (tests); stdin is read only with `readStdin` on a terminal.
   */
  constructor(private readonly options: { write?: (text: string) => void; readStdin?: boolean; imageDir?: string; input?: NodeJS.ReadableStream } = {}) {}

  private write(text: string): void {
    (this.options.write ?? ((t: string) => process.stdout.write(`${t}\n`)))(text);
  }

  start(handlers: ChatHandlers, _commands: readonly CommandInfo[]): Promise<void> {
    const input = this.options.input ?? (this.options.readStdin === true && process.stdin.isTTY ? process.stdin : undefined);
    if (input !== undefined) {
      this.reader = createInterface({ input });
      this.reader.on("line", (line) => {
        if (BUTTON_CODE.test(line.trim())) {
          void this.press(line.trim(), handlers).catch((error: unknown) => this.write(`Could not press the button: ${error instanceof Error ? error.message : String(error)}`));
          return;
        }
        const [first, ...args] = line.trim().split(/\s+/);
        if (!first?.startsWith("/")) return;
        void handlers.onCommand(first.slice(1), args, CONSOLE_OPERATOR, CONSOLE_CHAT)
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

  broadcast(message: OutgoingMessage, skip?: ReadonlySet<string>, silent?: ReadonlySet<string>): Promise<MessageRef[]> {
    // A retried notice that this console already showed is not shown twice; "off" arrives here as a skip.
    if (skip?.has(CONSOLE_CHAT) ?? false) return Promise.resolve([]);
    const messageId = String(this.nextId++);
    // A terminal makes no sound either way: "silent" is only marked, so the operator sees the setting work.
    this.write(this.render(message, `#${messageId}${silent?.has(CONSOLE_CHAT) === true ? " (silent)" : ""}`, messageId));
    return Promise.resolve([{ platform: "console", chatId: CONSOLE_CHAT, messageId }]);
  }

  edit(ref: MessageRef, message: OutgoingMessage): Promise<void> {
    this.write(this.render(message, `#${ref.messageId} (updated)`, ref.messageId));
    return Promise.resolve();
  }

  /** A terminal shows no pictures: an image is written to a file and its path printed under the text. */
  async showReply(reply: Reply): Promise<void> {
    let text = reply.text;
    if (reply.image !== undefined) {
      const dir = this.options.imageDir ?? await mkdtemp(join(tmpdir(), "perpbot-"));
      const file = join(dir, basename(reply.image.filename));
      await writeFile(file, reply.image.png);
      text = `${reply.text}\n[image: ${file}]`;
    }
    if ((reply.buttons ?? []).length === 0) {
      this.write(text);
      return;
    }
    // A reply with buttons (/close's Confirm close / Cancel) becomes a numbered message, so its buttons get codes.
    const messageId = String(this.nextId++);
    this.write(this.render({ text, ...(reply.buttons ? { buttons: reply.buttons } : {}) }, `#${messageId}`, messageId));
  }

  /** A typed code presses that button as the console operator; the answer and any new card text are printed. */
  private async press(code: string, handlers: ChatHandlers): Promise<void> {
    const found = this.buttons.find(code);
    if (found.kind === "unknown") {
      this.write(found.text);
      return;
    }
    const ref: MessageRef = { platform: "console", chatId: CONSOLE_CHAT, messageId: found.messageId };
    // Acknowledged at once ("Approving…"), decided after; the result and any new card text follow.
    const outcome = await handlers.onButton(found.button.data, CONSOLE_OPERATOR, ref, (ack) => {
      if (ack.text.trim() !== "") this.write(`→ ${ack.text}`);
      return Promise.resolve(true);
    });
    if (outcome.toast.trim() !== "") this.write(`→ ${outcome.toast}`);
    if (outcome.edit) await this.edit(ref, outcome.edit);
  }

  private render(message: OutgoingMessage, label: string, messageId: string): string {
    const buttons = this.buttons.show(messageId, message.buttons);
    return `\n── perpbot ${label} ──\n${message.text}${buttons ? `\n${buttons}` : ""}`;
  }
}
