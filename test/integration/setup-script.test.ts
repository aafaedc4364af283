import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { DiscordStandIn } from "../stand-ins/discord-server";
import { TelegramServer } from "../stand-ins/telegram-server";

/** `npm run setup` as a user runs it: a child process answering its prompts, against the Telegram and Discord stand-ins. */
const ROOT = path.resolve(import.meta.dirname, "../..");
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

/** Drives the script's dialogue: waits for a prompt in what it printed since the last answer, then types a line. */
class Dialogue {
  output = "";
  private cursor = 0;
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on("data", (d: Buffer) => { this.output += d.toString(); });
    child.stderr.on("data", (d: Buffer) => { this.output += d.toString(); });
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  }

  async expect(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.output.slice(this.cursor));
      if (match !== null) {
        this.cursor += match.index + match[0].length;
        return match[0];
      }
      if (Date.now() > deadline) throw new Error(`no ${String(pattern)} in the setup's output:\n${this.output.slice(this.cursor)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  answer(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }
}

async function standIns(): Promise<{ telegram: TelegramServer; discord: DiscordStandIn }> {
  const telegram = new TelegramServer({ botUsername: "perpbot_desk_bot" });
  await telegram.start();
  const discord = new DiscordStandIn();
  await discord.start();
  cleanups.push(() => telegram.stop(), () => discord.stop());
  return { telegram, discord };
}

function runSetup(envFile: string, roots: { telegram: string; discord: string }): Dialogue {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/setup.ts", "--env", envFile], {
    cwd: ROOT, env: { ...process.env, TELEGRAM_API_ROOT: roots.telegram, DISCORD_API_ROOT: roots.discord, NO_COLOR: "1" },
  });
  cleanups.push(() => { if (child.exitCode === null) child.kill("SIGKILL"); });
  return new Dialogue(child);
}

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "perpbot-setup-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * The Discord stand-in lists no guilds; in front of it, the two routes a bot uses to list what it
 * can see (GET /users/@me/guilds, /guilds/:id/channels, token checked), everything else passed on.
 */
async function withGuildListing(discord: DiscordStandIn): Promise<string> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      const route = (req.url ?? "").replace(/^\/api\/v10/, "");
      const authorized = req.headers.authorization === `Bot ${discord.token}`;
      const json = (status: number, body: unknown): void => { res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body)); };
      if (route === "/users/@me/guilds") return authorized ? json(200, [{ id: discord.guildId, name: "desk" }]) : json(401, { message: "401: Unauthorized", code: 0 });
      if (route === `/guilds/${discord.guildId}/channels`) {
        return json(200, [{ id: "1111111111", type: 2, name: "voice", guild_id: discord.guildId }, { id: discord.channelId, type: 0, name: "signals", guild_id: discord.guildId }, { id: "2222222222", type: 0, name: "general", guild_id: discord.guildId }]);
      }
      const upstream = await fetch(`${discord.apiRoot}${(req.url ?? "").replace(/^\/api/, "")}`, { method: req.method ?? "GET", headers: { authorization: req.headers.authorization ?? "" } });
      res.writeHead(upstream.status, { "content-type": "application/json" }).end(await upstream.text());
    })();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanups.push(() => new Promise((r) => server.close(r)));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}/api`;
}

describe("npm run setup", () => {
  it("checks both tokens, lists the chats and people the bot saw, and writes a 0600 .env perpbot accepts", async () => {
    const { telegram, discord } = await standIns();
    const envFile = path.join(tempDir(), ".env");
    const setup = runSetup(envFile, { telegram: telegram.apiRoot, discord: discord.apiRoot });

    await setup.expect(/Telegram bot token \(Enter to skip Telegram\): $/);
    const [botId] = telegram.token.split(":");
    setup.answer(`${botId}:AAnot-the-real-token-at-all-0000000000`);
    await setup.expect(/refused the token …0000 \(401 Unauthorized\).*paste it below/);
    await setup.expect(/Telegram bot token \(Enter to skip Telegram\): $/);
    setup.answer(telegram.token);
    await setup.expect(/✓ Token …\S{4} belongs to @perpbot_desk_bot/);

    await setup.expect(/Press Enter once you have sent it/);
    setup.answer("");
    await setup.expect(/No messages seen yet/);
    telegram.injectCommand({ id: 5551, first_name: "Alice", username: "alice" }, -1001234567890, "/start@perpbot_desk_bot");
    telegram.injectCommand({ id: 5552, first_name: "Bob" }, 5552, "hello");
    await setup.expect(/Press Enter once you have sent it/);
    setup.answer("");
    await setup.expect(/1\) -1001234567890 {2}supergroup perpbot desk\n {2}2\) 5552 {2}private Bob/);
    await setup.expect(/Which chats get alerts\?.*: $/);
    setup.answer("7, x");
    await setup.expect(/Not a number from the list nor an id: 7, x/);
    setup.answer("1");
    await setup.expect(/1\) 5551 {2}Alice @alice\n {2}2\) 5552 {2}Bob/);
    await setup.expect(/Who is admin.*: $/);
    setup.answer("1");
    await setup.expect(/Who is approver.*: $/);
    setup.answer("2, 7777777");
    await setup.expect(/Who is viewer.*: $/);
    setup.answer("");

    await setup.expect(/Discord bot token \(Enter to skip Discord\): $/);
    setup.answer("MTIz.bad.token-abcd");
    await setup.expect(/Discord refused the token …abcd \(401 Unauthorized\)/);
    await setup.expect(/Discord bot token \(Enter to skip Discord\): $/);
    setup.answer(discord.token);
    await setup.expect(new RegExp(`✓ Token …\\S{4} belongs to .*\\(application ${discord.applicationId}`));
    await setup.expect(/Channel ids for alerts.*: $/);
    setup.answer("123456789");
    await setup.expect(/Channel 123456789: unknown, or the bot cannot see it/);
    await setup.expect(/Channel ids for alerts.*: $/);
    setup.answer(discord.channelId);
    await setup.expect(new RegExp(`Alerts go to #signals \\(${discord.channelId}\\)`));
    await setup.expect(/Who is admin.*: $/);
    setup.answer("4242424242");
    await setup.expect(/Who is approver.*: $/);
    setup.answer("");
    await setup.expect(/Who is viewer.*: $/);
    setup.answer("");
    await setup.expect(/✓ Wrote .*\.env \(readable by you only\)/);
    expect(await setup.exited).toBe(0);

    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    const text = readFileSync(envFile, "utf8");
    const values = Object.fromEntries(text.split("\n").filter((l) => /^[A-Z0-9_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    expect(values).toMatchObject({
      TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_CHAT_IDS: "-1001234567890", TELEGRAM_ADMIN_USER_IDS: "5551", TELEGRAM_APPROVER_USER_IDS: "5552,7777777", TELEGRAM_VIEWER_USER_IDS: "",
      DISCORD_BOT_TOKEN: discord.token, DISCORD_CHANNEL_IDS: discord.channelId, DISCORD_GUILD_ID: discord.guildId, DISCORD_ADMIN_USER_IDS: "4242424242",
    });
    // Written over .env.example: the documentation stays, each key once.
    expect(text).toContain("# ── Discord (optional)");
    expect(text.match(/^TELEGRAM_BOT_TOKEN=/gm)).toHaveLength(1);
    // What it wrote is a configuration perpbot starts with.
    expect(() => loadConfig(values)).not.toThrow();
    // No token, nor the bad ones, ever printed in full.
    for (const token of [telegram.token, discord.token, "MTIz.bad.token-abcd", `${botId}:AAnot-the-real-token-at-all-0000000000`]) expect(setup.output).not.toContain(token);
  }, 60_000);

  it("lists the Discord text channels the bot can see when Discord lets it, and stops without writing on end of input", async () => {
    const { telegram, discord } = await standIns();
    const envFile = path.join(tempDir(), ".env");
    const setup = runSetup(envFile, { telegram: telegram.apiRoot, discord: await withGuildListing(discord) });
    await setup.expect(/Telegram bot token/);
    setup.answer("");
    await setup.expect(/Discord bot token/);
    setup.answer(discord.token);
    await setup.expect(new RegExp(String.raw`Text channels the bot can see:\n {2}1\) ${discord.channelId} {2}#signals\n {2}2\) 2222222222 {2}#general\n`));
    await setup.expect(/Which channels get alerts\?.*: $/);
    setup.answer("2");
    await setup.expect(/Alerts go to #general \(2222222222\)/);
    await setup.expect(/Who is admin.*: $/);
    // Ctrl-D (end of input) mid-dialogue: nothing is written.
    setup.child.stdin.end();
    await setup.expect(/Cancelled; nothing written\./);
    expect(await setup.exited).toBe(130);
    expect(existsSync(envFile)).toBe(false);
  }, 60_000);

  it("skips a platform on Enter, and updates an existing .env only after a yes, keeping its other lines", async () => {
    const { telegram, discord } = await standIns();
    const envFile = path.join(tempDir(), ".env");
    writeFileSync(envFile, "BYBIT_API_KEY=keep-me\nTELEGRAM_BOT_TOKEN=old\n", { mode: 0o644 });

    const declined = runSetup(envFile, { telegram: telegram.apiRoot, discord: discord.apiRoot });
    await declined.expect(/Telegram bot token/);
    declined.answer("");
    await declined.expect(/Discord bot token/);
    declined.answer(discord.token);
    await declined.expect(/Channel ids for alerts.*: $/);
    declined.answer(discord.channelId);
    for (let i = 0; i < 3; i++) {
      await declined.expect(/Who is .*: $/);
      declined.answer("");
    }
    await declined.expect(/exists\. Update the \d+ settings chosen here in it, keeping everything else\? \[y\/N\] $/);
    declined.answer("");
    await declined.expect(/Nothing written\./);
    expect(await declined.exited).toBe(0);
    expect(readFileSync(envFile, "utf8")).toBe("BYBIT_API_KEY=keep-me\nTELEGRAM_BOT_TOKEN=old\n");

    const accepted = runSetup(envFile, { telegram: telegram.apiRoot, discord: discord.apiRoot });
    await accepted.expect(/Telegram bot token/);
    accepted.answer("");
    await accepted.expect(/Discord bot token/);
    accepted.answer(discord.token);
    await accepted.expect(/Channel ids for alerts.*: $/);
    accepted.answer(discord.channelId);
    for (let i = 0; i < 3; i++) {
      await accepted.expect(/Who is .*: $/);
      accepted.answer("");
    }
    await accepted.expect(/\[y\/N\] $/);
    accepted.answer("y");
    await accepted.expect(/✓ Wrote/);
    expect(await accepted.exited).toBe(0);
    const text = readFileSync(envFile, "utf8");
    expect(text).toMatch(/^BYBIT_API_KEY=keep-me\nTELEGRAM_BOT_TOKEN=old\n/);
    expect(text).toContain(`DISCORD_BOT_TOKEN=${discord.token}\n`);
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    expect(accepted.output).not.toContain(discord.token);
  }, 60_000);
});
