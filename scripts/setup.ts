/**
 * `npm run setup`: the first-run helper. Asks for the Telegram and Discord bot tokens, checks each
 * against the service (Telegram getMe; Discord /users/@me and /applications/@me), finds the chats
 * and users from the bot's recent updates so they are picked from a list rather than typed, asks
 * who gets which role, and writes `.env` (mode 0600; an existing one is only updated after a yes).
 * Enter skips a platform. Tokens are never printed back: only their last 4 characters.
 *
 * Options: `--env <path>` writes there instead of ./.env. TELEGRAM_API_ROOT and DISCORD_API_ROOT
 * from the environment point it at another server (the tests' stand-ins).
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline/promises";
import { fileURLToPath } from "node:url";

const TELEGRAM_ROOT = (process.env.TELEGRAM_API_ROOT ?? "https://api.telegram.org").replace(/\/+$/, "");
const DISCORD_ROOT = (process.env.DISCORD_API_ROOT ?? "https://discord.com/api").replace(/\/+$/, "");
const ROLES = ["ADMIN", "APPROVER", "VIEWER"] as const;
const ROLE_HELP: Record<(typeof ROLES)[number], string> = {
  ADMIN: "admin (everything: pause, resume, risk, close, and approve)", APPROVER: "approver (Approve/Reject and read)", VIEWER: "viewer (read only)",
};

class Cancelled extends Error {}

const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
let closed = false;
/** End of input (Ctrl-D, a closed pipe) ends the dialogue: a pending question would otherwise wait forever. */
const inputClosed = new Promise<never>((_resolve, reject) => rl.once("close", () => { closed = true; reject(new Cancelled()); }));
inputClosed.catch(() => undefined);
const secrets: string[] = [];

/** The last 4 characters only: enough to tell two tokens apart, useless to anyone reading the screen. */
export const mask = (token: string): string => `…${token.slice(-4)}`;
/** Anything we print that might carry a token (an error message with a URL) has it masked. */
const say = (text: string): void => { process.stdout.write(`${secrets.reduce((t, s) => t.split(s).join(mask(s)), text)}\n`); };

async function ask(question: string): Promise<string> {
  if (closed) throw new Cancelled();
  try {
    return (await Promise.race([rl.question(question), inputClosed])).trim();
  } catch {
    throw new Cancelled();
  }
}

// ── Telegram ────────────────────────────────────────────────────────────────────────────────

interface TgChat { id: number; type: string; title?: string; first_name?: string; username?: string }
interface TgUser { id: number; first_name?: string; username?: string; is_bot?: boolean }

async function telegramCall<T>(token: string, method: string): Promise<{ ok: true; result: T } | { ok: false; error: string }> {
  try {
    const response = await fetch(`${TELEGRAM_ROOT}/bot${token}/${method}`, { signal: AbortSignal.timeout(15_000) });
    const body = (await response.json().catch(() => ({}))) as { ok?: boolean; result?: T; description?: string; error_code?: number };
    if (body.ok === true && body.result !== undefined) return { ok: true, result: body.result };
    return { ok: false, error: `${body.error_code ?? response.status} ${body.description ?? response.statusText}` };
  } catch (error) {
    return { ok: false, error: `could not reach ${TELEGRAM_ROOT}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

async function setupTelegram(): Promise<Record<string, string> | null> {
  say("\n── Telegram ──\nCreate a bot with @BotFather (/newbot) and paste its token here.");
  let token = "";
  let bot: TgUser | null = null;
  while (bot === null) {
    token = await ask("Telegram bot token (Enter to skip Telegram): ");
    if (token === "") return null;
    secrets.push(token);
    const me = await telegramCall<TgUser>(token, "getMe");
    if (me.ok) bot = me.result;
    else if (/^401\b/.test(me.error)) say(`✗ Telegram refused the token ${mask(token)} (401 Unauthorized): it is mistyped or was revoked. Copy it again from @BotFather and paste it below.`);
    else say(`✗ Could not check the token ${mask(token)}: ${me.error}. Try again, or press Enter to skip.`);
  }
  say(`✓ Token ${mask(token)} belongs to @${bot.username ?? bot.first_name ?? bot.id}.`);
  say(`Now, in Telegram, send any message to @${bot.username ?? "your bot"}: in a private chat, and in every group that should get alerts (add the bot to the group first).`);
  let chats = new Map<number, TgChat>();
  let users = new Map<number, TgUser>();
  for (;;) {
    const answer = await ask("Press Enter once you have sent it (or type skip to enter ids by hand): ");
    if (answer.toLowerCase() === "skip") break;
    const updates = await telegramCall<Record<string, unknown>[]>(token, "getUpdates");
    if (!updates.ok) {
      say(/^409\b/.test(updates.error) ? "✗ The bot has a webhook set (or perpbot is running): stop it, or type skip." : `✗ getUpdates failed: ${updates.error}.`);
      continue;
    }
    ({ chats, users } = seenIn(updates.result));
    if (chats.size > 0) break;
    say("No messages seen yet. Send one to the bot and press Enter again.");
  }
  const chatList = [...chats.values()];
  const userList = [...users.values()].filter((u) => u.is_bot !== true);
  const chatIds = await pickMany("Chats seen by the bot:", chatList.map((c) => ({ id: String(c.id), label: `${c.type} ${c.title ?? [c.first_name, c.username && `@${c.username}`].filter(Boolean).join(" ")}` })),
    "Which chats get alerts? Numbers or chat ids, comma-separated: ", /^-?\d+$/, true);
  const env: Record<string, string> = { TELEGRAM_BOT_TOKEN: token, TELEGRAM_CHAT_IDS: chatIds.join(",") };
  const people = userList.map((u) => ({ id: String(u.id), label: [u.first_name, u.username && `@${u.username}`].filter(Boolean).join(" ") }));
  if (people.length > 0) say(`\nPeople seen by the bot:\n${people.map((p, i) => `  ${i + 1}) ${p.id}  ${p.label}`).join("\n")}`);
  for (const role of ROLES) {
    env[`TELEGRAM_${role}_USER_IDS`] = (await pickMany(null, people, `Who is ${ROLE_HELP[role]}? Numbers or user ids, comma-separated (Enter: nobody): `, /^\d+$/, false)).join(",");
  }
  return env;
}

/** Every chat and sender in the updates: messages, edits, channel posts, button presses, the bot being added to a group. */
function seenIn(updates: readonly Record<string, unknown>[]): { chats: Map<number, TgChat>; users: Map<number, TgUser> } {
  const chats = new Map<number, TgChat>();
  const users = new Map<number, TgUser>();
  for (const update of updates) {
    for (const key of ["message", "edited_message", "channel_post", "my_chat_member", "callback_query"]) {
      const part = update[key] as { chat?: TgChat; from?: TgUser; message?: { chat?: TgChat } } | undefined;
      const chat = part?.chat ?? part?.message?.chat;
      if (chat !== undefined) chats.set(chat.id, chat);
      if (part?.from !== undefined) users.set(part.from.id, part.from);
    }
  }
  return { chats, users };
}

/**
 * A numbered list to pick from; the answer may mix list numbers and raw ids (matching `idPattern`).
 * `required`: asks again until at least one is given.
 */
async function pickMany(title: string | null, items: readonly { id: string; label: string }[], question: string, idPattern: RegExp, required: boolean): Promise<string[]> {
  if (title !== null && items.length > 0) say(`\n${title}\n${items.map((item, i) => `  ${i + 1}) ${item.id}  ${item.label}`).join("\n")}`);
  for (;;) {
    const answer = await ask(question);
    const parts = answer.split(/[\s,]+/).filter((p) => p !== "");
    const picked: string[] = [];
    const bad: string[] = [];
    for (const part of parts) {
      const index = /^\d{1,3}$/.test(part) ? Number(part) - 1 : -1;
      const item = items[index];
      if (item !== undefined) picked.push(item.id);
      else if (idPattern.test(part) && part.length >= 4) picked.push(part);
      else bad.push(part);
    }
    if (bad.length > 0) say(`✗ Not a number from the list nor an id: ${bad.join(", ")}.`);
    else if (required && picked.length === 0) say("At least one is needed for alerts to go anywhere.");
    else return [...new Set(picked)];
  }
}

// ── Discord ─────────────────────────────────────────────────────────────────────────────────

async function discordGet<T>(token: string, route: string): Promise<{ ok: true; result: T } | { ok: false; status: number; error: string }> {
  try {
    const response = await fetch(`${DISCORD_ROOT}/v10${route}`, { headers: { authorization: `Bot ${token}` }, signal: AbortSignal.timeout(15_000) });
    const body = (await response.json().catch(() => ({}))) as T & { message?: string };
    if (response.ok) return { ok: true, result: body };
    return { ok: false, status: response.status, error: `${response.status} ${body.message ?? response.statusText}` };
  } catch (error) {
    return { ok: false, status: 0, error: `could not reach ${DISCORD_ROOT}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

interface DiscordChannel { id: string; name?: string; type?: number; guild_id?: string }

async function setupDiscord(): Promise<Record<string, string> | null> {
  say("\n── Discord ──\nAt https://discord.com/developers/applications: New Application → Bot → Reset Token.");
  let token = "";
  let application: { id: string; name?: string | undefined } | null = null;
  while (application === null) {
    token = await ask("Discord bot token (Enter to skip Discord): ");
    if (token === "") return null;
    secrets.push(token);
    const me = await discordGet<{ id: string; username?: string }>(token, "/users/@me");
    if (!me.ok) {
      say(me.status === 401 ? `✗ Discord refused the token ${mask(token)} (401 Unauthorized): it is mistyped or was reset. Copy it again (Bot → Reset Token) and paste it below.`
        : `✗ Could not check the token ${mask(token)}: ${me.error}. Try again, or press Enter to skip.`);
      continue;
    }
    const app = await discordGet<{ id: string; name?: string }>(token, "/applications/@me");
    const found: { id: string; name?: string | undefined } = app.ok ? app.result : { id: me.result.id, name: me.result.username };
    application = found;
    say(`✓ Token ${mask(token)} belongs to ${me.result.username ?? "the bot"} (application ${found.id}${found.name ? `, ${found.name}` : ""}).`);
  }
  say(`Add it to your server with: https://discord.com/oauth2/authorize?client_id=${application.id}&scope=bot+applications.commands&permissions=3072`);
  const visible = await visibleChannels(token);
  let channels: DiscordChannel[] = [];
  if (visible.length > 0) {
    const ids = await pickMany("Text channels the bot can see:", visible.map((c) => ({ id: c.id, label: `#${c.name ?? "?"}` })), "Which channels get alerts? Numbers or channel ids, comma-separated: ", /^\d+$/, true);
    channels = ids.map((id) => visible.find((c) => c.id === id) ?? { id });
  } else {
    say("No channel list from Discord (the bot is in no server yet, or cannot list them). Turn on Developer Mode in Discord, right-click the channel → Copy Channel ID.");
    while (channels.length === 0) {
      const ids = await pickMany(null, [], "Channel ids for alerts, comma-separated: ", /^\d+$/, true);
      for (const id of ids) {
        const channel = await discordGet<DiscordChannel>(token, `/channels/${id}`);
        if (channel.ok) channels.push(channel.result);
        else say(`✗ Channel ${id}: ${channel.status === 404 ? "unknown, or the bot cannot see it" : channel.status === 403 ? "the bot has no access to it" : channel.error}.`);
      }
    }
  }
  say(`✓ Alerts go to ${channels.map((c) => (c.name ? `#${c.name} (${c.id})` : c.id)).join(", ")}.`);
  const env: Record<string, string> = { DISCORD_BOT_TOKEN: token, DISCORD_CHANNEL_IDS: channels.map((c) => c.id).join(",") };
  const guild = channels.find((c) => c.guild_id !== undefined)?.guild_id;
  if (guild !== undefined) env.DISCORD_GUILD_ID = guild;
  say("Discord user ids: Developer Mode on, then right-click a person → Copy User ID.");
  for (const role of ROLES) {
    env[`DISCORD_${role}_USER_IDS`] = (await pickMany(null, [], `Who is ${ROLE_HELP[role]}? User ids, comma-separated (Enter: nobody): `, /^\d+$/, false)).join(",");
  }
  return env;
}

/** The text channels of every server the bot is in, if Discord lets it list them; else none. */
async function visibleChannels(token: string): Promise<DiscordChannel[]> {
  const guilds = await discordGet<{ id: string }[]>(token, "/users/@me/guilds");
  if (!guilds.ok || !Array.isArray(guilds.result)) return [];
  const lists = await Promise.all(guilds.result.map((g) => discordGet<DiscordChannel[]>(token, `/guilds/${g.id}/channels`)));
  return lists.flatMap((l) => (l.ok && Array.isArray(l.result) ? l.result : [])).filter((c) => c.type === 0 || c.type === 5).map((c) => ({ ...c }));
}

// ── .env ────────────────────────────────────────────────────────────────────────────────────

/** `KEY=value` lines replaced where the file has them (commented-out or not), the rest appended. */
export function mergeEnv(text: string, values: Readonly<Record<string, string>>): string {
  const lines = text.split("\n");
  const done = new Set<string>();
  const out = lines.map((line) => {
    const match = /^\s*#?\s*([A-Z0-9_]+)=/.exec(line);
    const key = match?.[1];
    if (key === undefined || !(key in values) || done.has(key)) return line;
    done.add(key);
    return `${key}=${values[key] ?? ""}`;
  });
  const rest = Object.entries(values).filter(([key]) => !done.has(key)).map(([key, value]) => `${key}=${value}`);
  return `${[...out, ...rest].join("\n").replace(/\n*$/, "")}\n`;
}

async function writeEnv(file: string, values: Record<string, string>): Promise<boolean> {
  let base: string;
  if (existsSync(file)) {
    const answer = await ask(`${file} exists. Update the ${Object.keys(values).length} settings chosen here in it, keeping everything else? [y/N] `);
    if (!/^y(es)?$/i.test(answer)) return false;
    base = readFileSync(file, "utf8");
  } else {
    const example = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", ".env.example");
    base = existsSync(example) ? readFileSync(example, "utf8") : "";
  }
  writeFileSync(file, mergeEnv(base, values), { mode: 0o600 });
  chmodSync(file, 0o600); // the mode above applies to a new file only
  return true;
}

async function main(): Promise<void> {
  const flag = process.argv.indexOf("--env");
  const file = path.resolve(flag >= 0 ? (process.argv[flag + 1] ?? ".env") : ".env");
  say("perpbot setup: connects your chat apps and writes .env. Press Enter at a token prompt to skip that app; Ctrl-C stops without writing.");
  const values = { ...(await setupTelegram()), ...(await setupDiscord()) };
  if (Object.keys(values).length === 0) {
    say("\nNothing configured, nothing written. perpbot still runs without chat apps (alerts go to its console).");
    return;
  }
  if (!(await writeEnv(file, values))) {
    say("\nNothing written.");
    return;
  }
  say(`\n✓ Wrote ${file} (readable by you only). Tokens: ${[values.TELEGRAM_BOT_TOKEN, values.DISCORD_BOT_TOKEN].filter((t): t is string => t !== undefined).map(mask).join(", ")}.`);
  say("Next: npm start (or npm run demo to see it work offline first). Send /whoami to the bot to check your role.");
}

main().then(() => rl.close(), (error: unknown) => {
  rl.close();
  if (error instanceof Cancelled) {
    say("\nCancelled; nothing written.");
    process.exitCode = 130;
    return;
  }
  say(`setup failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
