import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { DiscordAPIError, REST } from "discord.js";
import pino from "pino";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { COMMANDS } from "../../commands";
import { DiscordTransport } from "../../src/chat/discord/discord-transport";
import { DiscordStandIn } from "../stand-ins/discord-server";
import { startScript, type ScriptRun } from "../support/child-processes";

/**
 * `npm run discord:deploy` as a real process (node --import tsx scripts/discord-deploy.ts, as the
 * npm script runs it) against the Discord stand-in: it registers exactly the command list, in the
 * guild or globally, a bot started afterwards finds them up to date, and each way it can fail
 * ends in one line naming what to fix, never the token. It runs in a scratch directory, so only
 * the environment given here (and a .env written there) is read.
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
const SCRIPT = path.join(ROOT, "scripts/discord-deploy.ts");
const TSX = pathToFileURL(path.join(ROOT, "node_modules/tsx/dist/loader.mjs")).href;
const scratch = mkdtempSync(path.join(tmpdir(), "perpbot-discord-deploy-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let server: DiscordStandIn;
let cwd: string;
let runs = 0;
beforeEach(async () => {
  server = new DiscordStandIn();
  await server.start();
  runs += 1;
  cwd = path.join(scratch, `run-${runs}`);
  mkdirSync(cwd);
});
afterEach(() => server.stop());

function deploy(env: Record<string, string>): Promise<ScriptRun> {
  return startScript(SCRIPT, [], { cwd, loader: TSX, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? tmpdir(), ...env } }).done;
}

const botEnv = (): Record<string, string> => ({ DISCORD_BOT_TOKEN: server.token, DISCORD_CHANNEL_IDS: server.channelId, DISCORD_API_ROOT: server.apiRoot });
const secretOf = (token: string): string => token.split(".")[2] ?? token;

describe("npm run discord:deploy", () => {
  it("registers every command of the list in the configured guild, prints them, and a bot started then finds them up to date", async () => {
    const run = await deploy({ ...botEnv(), DISCORD_GUILD_ID: server.guildId });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    // Derived from commands/index.ts: a command added there is deployed without touching the script.
    expect(server.registeredCommands.map((c) => c.name)).toEqual(COMMANDS.map((c) => c.name));
    expect(new Set(server.registeredCommands.map((c) => c.guildId))).toEqual(new Set([server.guildId]));
    for (const command of server.registeredCommands) {
      const declared = COMMANDS.find((c) => c.name === command.name);
      expect(command.options.map((o) => [o.name, o.type, o.required])).toEqual(
        [...(declared?.args ?? [])].sort((a, b) => Number(b.required) - Number(a.required)).map((a) => [a.name, 3, a.required]));
    }
    const lines = run.stdout.trim().split("\n");
    expect(lines[0]).toBe(`Registered ${COMMANDS.length} slash commands in guild ${server.guildId} for application ${server.applicationId}. They apply at once in that server.`);
    expect(lines).toContain(`  /close <position> — ${COMMANDS.find((c) => c.name === "close")?.description ?? ""}`);
    expect(lines).toContain(`  /pnl [period] — ${COMMANDS.find((c) => c.name === "pnl")?.description ?? ""}`);
    expect(run.stdout).not.toContain(secretOf(server.token));

    const logged: string[] = [];
    const transport = new DiscordTransport({
      token: server.token, apiRoot: server.apiRoot, channelIds: [server.channelId], guildId: server.guildId,
      logger: pino({ level: "debug" }, { write: (line: string) => { logged.push(line); } }),
    });
    try {
      await transport.start({ onCommand: () => Promise.resolve({ text: "" }), onButton: () => Promise.resolve({ toast: "" }) }, COMMANDS);
      await server.waitFor(() => logged.find((l) => l.includes("slash commands up to date")), 5_000);
      expect(logged.filter((l) => l.includes("out of date"))).toEqual([]);
    } finally {
      await transport.stop();
    }
  }, 60_000);

  it("registers globally without DISCORD_GUILD_ID, reads a .env in the working directory, and a second run changes nothing", async () => {
    writeFileSync(path.join(cwd, ".env"), Object.entries(botEnv()).map(([k, v]) => `${k}=${v}`).join("\n"));
    const first = await deploy({});
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Registered \d+ slash commands globally for application \d+\. Global commands can take up to an hour/);
    expect(new Set(server.registeredCommands.map((c) => c.guildId))).toEqual(new Set([null]));
    const ids = server.registeredCommands.map((c) => c.id);
    const second = await deploy({});
    expect(second.code).toBe(0);
    expect(server.registeredCommands.map((c) => c.id)).toEqual(ids);
  }, 60_000);

  it("without DISCORD_BOT_TOKEN: one line naming it, and no request to Discord", async () => {
    const run = await deploy({ DISCORD_API_ROOT: server.apiRoot });
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^discord:deploy: DISCORD_BOT_TOKEN is not set: .*Reset Token/) as unknown]);
    expect(server.requests).toEqual([]);
  }, 30_000);

  it("a configuration the bot would refuse is refused the same way, naming the variable", async () => {
    const run = await deploy({ DISCORD_BOT_TOKEN: server.token, DISCORD_API_ROOT: server.apiRoot });
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^discord:deploy: DISCORD_CHANNEL_IDS is empty/) as unknown]);
    expect(`${run.stdout}${run.stderr}`).not.toContain(secretOf(server.token));
  }, 30_000);

  it("a wrong token, a guild the bot is not in, or commands Discord refuses: one line each, the token never shown", async () => {
    const wrong = `${server.token.slice(0, -6)}XXXXXX`;
    const badToken = await deploy({ ...botEnv(), DISCORD_BOT_TOKEN: wrong });
    expect(badToken.code).toBe(1);
    expect(badToken.stderr.trim()).toMatch(/^discord:deploy: Discord rejected DISCORD_BOT_TOKEN \(401 Unauthorized\)\. Reset the token/);
    expect(badToken.stderr).not.toContain(secretOf(wrong));

    const badGuild = await deploy({ ...botEnv(), DISCORD_GUILD_ID: "123456789012345678" });
    expect(badGuild.code).toBe(1);
    expect(badGuild.stderr.trim()).toMatch(/^discord:deploy: Discord refused the commands of guild 123456789012345678 \(403 Missing Access\)\. Check DISCORD_GUILD_ID/);

    server.failNext("PUT", /\/commands$/, 1, 400, { message: "Invalid Form Body", code: 50035, errors: { 0: { name: { _errors: [{ code: "APPLICATION_COMMAND_INVALID_NAME", message: "Command name is invalid" }] } } } });
    const refused = await deploy({ ...botEnv(), DISCORD_GUILD_ID: server.guildId });
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^discord:deploy: Discord refused the commands \(400 Invalid Form Body; 0\.name\[APPLICATION_COMMAND_INVALID_NAME\]: Command name is invalid\)\.$/) as unknown]);
    expect(server.registeredCommands).toEqual([]);
  }, 60_000);
});

describe("the stand-in's command registry is as strict as Discord's", () => {
  async function put(body: unknown[]): Promise<{ status: number; raw: unknown }> {
    const rest = new REST({ api: server.apiRoot, retries: 0 }).setToken(server.token);
    try {
      await rest.put(`/applications/${server.applicationId}/guilds/${server.guildId}/commands`, { body });
      return { status: 200, raw: null };
    } catch (error) {
      if (!(error instanceof DiscordAPIError)) throw error;
      return { status: error.status, raw: error.rawError };
    } finally {
      rest.clearHashSweeper();
      rest.clearHandlerSweeper();
    }
  }
  const command = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ type: 1, name: "status", description: "Show the desk", options: [], ...over });
  const option = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ type: 3, name: "period", description: "day or week", ...over });
  const rejection = (field: string, code: string) => ({ message: "Invalid Form Body", code: 50035, errors: { 0: expect.objectContaining({ [field]: { _errors: [expect.objectContaining({ code }) as unknown] } }) as unknown } });

  it.each([
    ["an upper-case name", command({ name: "Status" }), "name", "APPLICATION_COMMAND_INVALID_NAME"],
    ["a name with a space", command({ name: "my status" }), "name", "APPLICATION_COMMAND_INVALID_NAME"],
    ["a name over 32 characters", command({ name: "s".repeat(33) }), "name", "APPLICATION_COMMAND_INVALID_NAME"],
    ["an empty description", command({ description: "" }), "description", "BASE_TYPE_BAD_LENGTH"],
    ["a description over 100 characters", command({ description: "d".repeat(101) }), "description", "BASE_TYPE_BAD_LENGTH"],
    ["an unknown command type", command({ type: 9 }), "type", "BASE_TYPE_CHOICES"],
  ])("refuses %s with 400 and Discord's error body", async (_what, body, field, code) => {
    expect(await put([body])).toEqual({ status: 400, raw: rejection(field, code) });
    expect(server.registeredCommands).toEqual([]);
  });

  it("refuses bad options: unknown or missing type, a required one after an optional one, a bad name", async () => {
    const optionError = (o: number, field: string, code: string) => ({ status: 400, raw: { message: "Invalid Form Body", code: 50035, errors: { 0: { options: { [o]: { [field]: { _errors: [expect.objectContaining({ code }) as unknown] } } } } } } });
    expect(await put([command({ options: [option({ type: 12 })] })])).toEqual(optionError(0, "type", "BASE_TYPE_CHOICES"));
    expect(await put([command({ options: [option({ type: undefined })] })])).toEqual(optionError(0, "type", "BASE_TYPE_REQUIRED"));
    expect(await put([command({ options: [option(), option({ name: "symbol", required: true })] })])).toEqual(optionError(1, "required", "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID"));
    expect(await put([command({ options: [option({ name: "Period" })] })])).toEqual(optionError(0, "name", "APPLICATION_COMMAND_INVALID_NAME"));
  });

  it("refuses more than 100 commands; takes 100 and answers GET with what it holds, required only when true", async () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => command({ name: `c${i}` }));
    expect((await put(many(101))).status).toBe(400);
    expect((await put([command({ options: [option({ name: "symbol", required: true }), option({ required: false })] }), ...many(99)])).status).toBe(200);
    const rest = new REST({ api: server.apiRoot }).setToken(server.token);
    const got = await rest.get(`/applications/${server.applicationId}/guilds/${server.guildId}/commands`) as { name: string; options?: Record<string, unknown>[] }[];
    rest.clearHashSweeper();
    rest.clearHandlerSweeper();
    expect(got).toHaveLength(100);
    expect(got[0]?.options).toEqual([{ type: 3, name: "symbol", description: "day or week", required: true }, { type: 3, name: "period", description: "day or week" }]);
    expect(got[1]?.options).toBeUndefined(); // Discord leaves out an empty list
  });
});
