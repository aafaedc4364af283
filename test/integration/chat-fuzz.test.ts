import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Writable } from "node:stream";
import pino from "pino";
import { seededRandom } from "../../src/core/random";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../commands";
import type { App } from "../../src/app/context";
import { encodeButton } from "../../src/chat/callback-codec";
import { createChatRouter } from "../../src/chat/chat-router";
import type { Actor, ButtonOutcome, ChatHandlers, MessageRef, OutgoingMessage, Reply } from "../../src/chat/transport";
import { approveProposal } from "../../src/app/decide-proposal";
import { executeProposal } from "../../src/app/execute-proposal";
import { seedProposal } from "../support/fixtures";
import { useRecordingApps } from "../support/test-env";

/**
 * 10,000 random command strings and button payloads through the router, from a seeded RNG
 * (FUZZ_SEED=<n> replays another run): nothing throws, nothing fails inside (every internal error
 * is logged by the router, and none may be), every reply fits Telegram's 4,096 characters and
 * every toast its 200, a stranger changes no state, and the heap stays bounded.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_c0de);
const ROUNDS = 10_000;
const TELEGRAM_TEXT_MAX = 4096;
const TOAST_MAX = 200;
const BUTTON_DATA_MAX = 64;

const newApp = useRecordingApps();

/** mulberry32 (the project's seeded generator): the same sequence on every machine. */
const rng = seededRandom;

class Gen {
  /** Real button data the bot has sent (from replies during the run), replayed by `buttonData`. */
  readonly seen: string[] = [];
  constructor(readonly random: () => number, private readonly ids: readonly string[]) {}
  int(n: number): number { return Math.floor(this.random() * n); }
  pick<T>(items: readonly T[]): T { return items[this.int(items.length)] as T; }
  chance(p: number): boolean { return this.random() < p; }

  /** Any code point: controls, NUL, lone surrogates, zero-width and bidi marks, emoji, CJK. */
  unicode(length: number): string {
    const pools: (() => number)[] = [
      () => this.int(0x20), () => 0x20 + this.int(0x5f), () => 0xd800 + this.int(0x800), () => this.pick([0x200b, 0x200d, 0x202e, 0xfeff, 0x2066]),
      () => 0x1f300 + this.int(0x300), () => 0x4e00 + this.int(0x5000), () => this.int(0x110000),
    ];
    let out = "";
    for (let i = 0; i < length; i++) {
      const cp = this.pick(pools)();
      out += cp >= 0xd800 && cp <= 0xdfff ? String.fromCharCode(cp) : String.fromCodePoint(cp);
    }
    return out;
  }

  token(): string {
    switch (this.int(10)) {
      case 0: return this.unicode(1 + this.int(12));
      case 1: return this.pick(["1e309", "-1e309", "NaN", "Infinity", "-0", "0x1f", "9".repeat(400), "-99999999999999999999", "1e-400", "0.0000001", "٣", "１２"]);
      case 2: return this.pick(["-1h", "-30m", "0m", "999999d", "1.5h", "1e9h", "PT1H", "24h", "10m", "-0h", "1h30m", "⁵h"]);
      case 3: return this.pick(["mnt", "MNT/USDT:USDT", "MNTUSDT", "btc", "../../etc/passwd", "all", "ALL", "%s%n", "${process.exit()}", "__proto__", "constructor"]);
      case 4: return this.chance(0.5) ? this.pick(this.ids) : `p${this.int(1e12).toString(16)}`;
      case 5: return this.pick(["day", "week", "month", "all", "conservative", "aggressive", "DAY", "yesterday", "on", "off"]);
      case 6: return "\u0000".repeat(1 + this.int(4)) + this.unicode(this.int(3));
      case 7: return this.unicode(200 + this.int(4000));
      case 8: return String(Math.floor((this.random() - 0.5) * 2 ** (this.int(80))));
      default: return this.pick(["", " ", "\n", "\t", "@", "/", "//", "-", "--force", "<b>x</b>", "*_`[", "😀"]);
    }
  }

  commandName(): string {
    const real = this.pick([...COMMANDS.map((c) => c.name), "help", "start", "settings", "approve"]);
    switch (this.int(6)) {
      case 0: return real;
      case 1: return [...real].map((ch) => (this.chance(0.5) ? ch.toUpperCase() : ch)).join("");
      case 2: return `${real}@${this.pick(["perpbot_bot", "other_bot", "", "@", this.unicode(5)])}`;
      case 3: return this.unicode(this.int(40));
      case 4: return this.pick(["", "\u0000", "a".repeat(5000), "__proto__", "constructor", "toString", "hasOwnProperty", "/status", " status"]);
      default: return real;
    }
  }

  args(): string[] {
    if (this.chance(0.05)) return [this.unicode(20_000 + this.int(20_000))];
    if (this.chance(0.03)) return Array.from({ length: 200 + this.int(500) }, () => this.token());
    return Array.from({ length: this.int(6) }, () => this.token());
  }

  buttonData(): string {
    const id = this.chance(0.6) ? this.pick(this.ids) : this.pick(["all", `p${this.int(1e9).toString(16)}`, "x".repeat(40)]);
    const confirm = this.pick(["abcdef", "a1b2c3d4e5f6a7b8", "zzzzzz", "123456"]);
    if (this.seen.length > 0 && this.chance(0.15)) return this.pick(this.seen);
    switch (this.int(9)) {
      case 0: return encodeButton({ kind: this.pick(["approve", "reject"] as const), proposalId: id });
      case 1: return encodeButton({ kind: this.pick(["close-confirm", "close-cancel"] as const), proposalId: id, confirmId: confirm });
      case 2: return `v1:${this.pick(["a", "r", "cc", "cx", "zz", "", "A"])}:${this.token()}`;
      case 3: return `v1:a:${id}:${this.token()}:${this.token()}`;
      case 4: return `${this.pick(["v0", "v2", "V1", "", "v1 "])}:a:${id}`;
      case 5: return this.unicode(this.int(100));
      case 6: return this.pick(["", ":", "v1", "v1:", "v1::", "v1:a:", "v1:cc:all:", "\u0000", "v1:a:__proto__", "v1:a:constructor"]);
      case 7: return `v1:a:${"a".repeat(this.int(200))}`;
      default: return this.unicode(1000 + this.int(10_000));
    }
  }
}

function checkMessage(message: OutgoingMessage, where: string): void {
  if (typeof message.text !== "string") throw new Error(`${where}: text is not a string`);
  if (message.text.length > TELEGRAM_TEXT_MAX) throw new Error(`${where}: text of ${message.text.length} characters`);
  for (const button of message.buttons?.flat() ?? []) {
    if (Buffer.byteLength(button.data) > BUTTON_DATA_MAX) throw new Error(`${where}: button data over ${BUTTON_DATA_MAX} bytes`);
  }
}

/** Every table but the audit log, as rows: a stranger may add audit rows and nothing else. */
async function stateOf(app: App): Promise<string> {
  const tables = await app.db.$queryRawUnsafe<{ name: string }[]>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('AuditLog', '_prisma_migrations') AND name NOT LIKE 'sqlite_%' ORDER BY name");
  const dump: Record<string, unknown> = {};
  for (const { name } of tables) dump[name] = await app.db.$queryRawUnsafe(`SELECT * FROM "${name}" ORDER BY rowid`);
  return JSON.stringify(dump, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

/** A heap reading after a full collection (gc exposed at run time, as `--expose-gc` would). */
function heapAfterGc(): number {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  gc();
  return process.memoryUsage().heapUsed;
}

interface Harness { app: App; router: ChatHandlers; errors: string[]; gen: Gen; advance: (ms: number) => void }

const MNT = "MNT/USDT:USDT";
const ETH = "ETH/USDT:USDT";
const admin: Actor = { platform: "telegram", userId: "111", displayName: "alice" };

async function harness(seed: number): Promise<Harness> {
  const errors: string[] = [];
  const env = await newApp({
    now: Date.UTC(2026, 0, 5, 1),
    settings: { symbols: [MNT, ETH], chatRoles: { telegram: { "111": "admin", "333": "viewer", "444": "approver" }, discord: { "222": "admin" } } },
  });
  // The router logs every internal failure ("chat action failed") before answering with an apology: each is a crash found.
  const logger = pino({ level: "error" }, new Writable({ write(chunk: Buffer, _enc, done) { errors.push(chunk.toString().slice(0, 2000)); done(); } }));
  const app: App = { ...env.app, logger };
  const router = createChatRouter(app, COMMANDS);
  const ref: MessageRef = { platform: "telegram", chatId: "-100", messageId: "1" };
  // Every state a press can meet, reached through the real paths: an open position, a decided proposal, a pending one.
  const open = await seedProposal(app, { symbol: MNT, price: 0.6 });
  await approveProposal(app, open, admin);
  await executeProposal(app, open);
  const rejected = await seedProposal(app, { symbol: ETH, price: 2000 });
  await router.onButton(encodeButton({ kind: "reject", proposalId: rejected }), admin, ref);
  const pending = await seedProposal(app, { symbol: ETH, price: 2000 });
  const gen = new Gen(rng(seed), [open, rejected, pending]);
  // A real /close confirmation: its buttons are replayed (double presses, presses by others) among the forged ones.
  const close = await router.onCommand("close", ["all"], admin);
  for (const button of close.buttons?.flat() ?? []) gen.seen.push(button.data);
  return { app, router, errors, gen, advance: (ms) => env.setNow(app.clock() + ms) };
}

/** One random command or button press; returns what went wrong, or null. */
async function round(h: Harness, actor: Actor, ref: MessageRef): Promise<string | null> {
  const { gen, router } = h;
  if (gen.chance(0.6)) {
    const name = gen.commandName();
    const args = gen.args();
    const where = `/${JSON.stringify(name.slice(0, 60))} ${JSON.stringify(args.join(" ").slice(0, 120))} as ${actor.platform}:${actor.userId}`;
    let reply: Reply;
    try {
      reply = await router.onCommand(name, args, actor);
    } catch (error) {
      return `${where} threw ${String(error)}`;
    }
    try { checkMessage(reply, where); } catch (error) { return String(error); }
    for (const button of reply.buttons?.flat() ?? []) if (gen.seen.length < 50) gen.seen.push(button.data);
    return null;
  }
  const data = gen.buttonData();
  const where = `button ${JSON.stringify(data.slice(0, 80))} as ${actor.platform}:${actor.userId}`;
  let outcome: ButtonOutcome;
  try {
    outcome = await router.onButton(data, actor, ref);
  } catch (error) {
    return `${where} threw ${String(error)}`;
  }
  if (typeof outcome.toast !== "string" || outcome.toast.length > TOAST_MAX) return `${where}: toast of ${outcome.toast.length} characters`;
  if (outcome.edit !== undefined) try { checkMessage(outcome.edit, where); } catch (error) { return String(error); }
  return null;
}

describe("chat fuzz: random commands and button payloads through the router", () => {
  it(`survives ${ROUNDS} random inputs (seed ${SEED}) with bounded replies, no stranger effects and bounded memory`, async () => {
    const h = await harness(SEED);
    const { gen } = h;
    const problems: string[] = [];
    const refOf = (actor: Actor): MessageRef => ({ platform: actor.platform, chatId: gen.pick(["-100", "5", "-1001234567890"]), messageId: String(1 + gen.int(1e6)) });

    // Strangers first: half the rounds, from many ids on both platforms, as a group of attackers would.
    const before = await stateOf(h.app);
    const baseline = heapAfterGc();
    for (let i = 0; i < ROUNDS / 2; i++) {
      const actor: Actor = {
        platform: gen.pick(["telegram", "discord"] as const),
        userId: gen.pick(["999", "222", "111111", String(gen.int(1e6)), gen.unicode(6), "", "-1", "0"]),
        displayName: gen.chance(0.1) ? gen.unicode(300) : "mallory",
      };
      // 222 is a stranger on Telegram (the Discord admin's number), 111 one on Discord.
      if (Object.hasOwn(h.app.settings.chatRoles[actor.platform === "discord" ? "discord" : "telegram"], actor.userId)) continue;
      const problem = await round(h, actor, refOf(actor));
      if (problem !== null) problems.push(`#${i}: ${problem}`);
      if (gen.chance(0.1)) h.advance(gen.int(90_000));
    }
    expect(problems.slice(0, 10)).toEqual([]);
    expect(h.errors.slice(0, 5)).toEqual([]);
    expect(await stateOf(h.app)).toBe(before);
    expect(await h.app.db.auditLog.count()).toBeGreaterThan(ROUNDS / 4);

    // Then the configured users (viewer, approver, admin, the console): state may change, nothing may break.
    const members: Actor[] = [
      admin, { platform: "telegram", userId: "333", displayName: "vera" }, { platform: "telegram", userId: "444", displayName: "abe" },
      { platform: "discord", userId: "222", displayName: "bob" },
      { platform: "console", userId: "console", displayName: "console operator" },
    ];
    for (let i = ROUNDS / 2; i < ROUNDS; i++) {
      const actor = gen.pick(members);
      const problem = await round(h, actor, refOf(actor));
      if (problem !== null) problems.push(`#${i}: ${problem}`);
      if (gen.chance(0.05)) h.advance(gen.int(3_600_000));
    }
    expect(problems.slice(0, 10)).toEqual([]);
    expect(h.errors.slice(0, 5)).toEqual([]);
    // 10,000 rounds of up to 40,000-character inputs must not leave their weight behind.
    const grown = heapAfterGc() - baseline;
    expect(grown).toBeLessThan(64 * 1024 * 1024);
  }, 120_000);
});
