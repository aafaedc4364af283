/**
 * `npm run discord:deploy`: registers perpbot's slash commands with Discord, from the one command
 * list (commands/index.ts). Run it once after setting up the bot and again after an upgrade that
 * adds or changes a command (the bot says so at start: "slash commands out of date").
 *
 * It reads the same variables as the bot (src/config.ts): DISCORD_BOT_TOKEN, and DISCORD_GUILD_ID
 * when the commands belong to one server (they apply at once there; global ones can take up to an
 * hour to reach every client). The application id is the token's own, asked from Discord.
 */
import { existsSync } from "node:fs";
import { DiscordAPIError, REST } from "discord.js";
import { COMMANDS } from "../commands";
import { applicationIdOf, deploySlashCommands, describeCommand, describeScope, type CommandScope } from "../src/chat/discord/slash-commands";
import { ConfigError, loadConfig, type Config } from "../src/config";

class DeployStopped extends Error {}

function configFromEnvironment(): Config & { DISCORD_BOT_TOKEN: string } {
  // Like the bot: a .env in the working directory is read if present; real environment variables win.
  if (existsSync(".env")) process.loadEnvFile(".env");
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) throw new DeployStopped(error.problems.join("\n"));
    throw error;
  }
  const token = config.DISCORD_BOT_TOKEN;
  if (token === undefined) {
    throw new DeployStopped("DISCORD_BOT_TOKEN is not set: copy the bot token from the Discord Developer Portal (your application → Bot → Reset Token) into .env or the environment.");
  }
  return { ...config, DISCORD_BOT_TOKEN: token };
}

/** Discord's answer as one line that says what to change; never the token. */
function explain(error: unknown, config: Config, guildId: string | undefined): string {
  if (error instanceof DiscordAPIError) {
    if (error.status === 401) return "Discord rejected DISCORD_BOT_TOKEN (401 Unauthorized). Reset the token in the Developer Portal (Bot → Reset Token) and set DISCORD_BOT_TOKEN to the new value.";
    if (error.status === 403 || error.status === 404) {
      return guildId === undefined
        ? `Discord refused the command registry (${error.status} ${error.message}).`
        : `Discord refused the commands of guild ${guildId} (${error.status} ${error.message}). Check DISCORD_GUILD_ID and that the bot was invited to that server with the "bot" and "applications.commands" scopes.`;
    }
    return `Discord refused the commands (${error.status} ${error.message.replace(/\s*\n\s*/g, "; ")}).`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return `Could not reach Discord at ${config.DISCORD_API_ROOT} (${message}). Check the network connection, or DISCORD_API_ROOT if you set it.`;
}

async function main(): Promise<number> {
  const config = configFromEnvironment();
  const rest = new REST({ api: config.DISCORD_API_ROOT }).setToken(config.DISCORD_BOT_TOKEN);
  const guildId = config.DISCORD_GUILD_ID;
  try {
    const scope: CommandScope = { applicationId: await applicationIdOf(rest), guildId };
    const registered = await deploySlashCommands(rest, scope, COMMANDS);
    const when = guildId === undefined ? "Global commands can take up to an hour to appear in every Discord client." : "They apply at once in that server.";
    console.log(`Registered ${registered.length} slash commands ${describeScope(scope)} for application ${scope.applicationId}. ${when}`);
    for (const command of registered) console.log(`  ${describeCommand(command)}`);
    return 0;
  } catch (error) {
    throw new DeployStopped(explain(error, config, guildId));
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    // Each known problem on its own line, named and with its fix; anything else with its stack.
    const text = error instanceof DeployStopped
      ? error.message.split("\n").map((line) => `discord:deploy: ${line}`).join("\n")
      : `discord:deploy failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
    process.stderr.write(`${text}\n`);
    process.exit(1);
  },
);
