import { REST } from "discord.js";
import { applicationIdOf, deploySlashCommands } from "../../src/chat/discord/slash-commands";
import type { CommandInfo } from "../../src/chat/transport";
import type { DiscordStandIn } from "../stand-ins/discord-server";

/**
 * What `npm run discord:deploy` does, in-process: the real discord.js REST client registers the
 * commands with the stand-in, so tests that run slash commands start from a deployed registry
 * (the bot itself no longer registers them at start).
 */
/** `guildId` undefined: global commands, as the deploy does without DISCORD_GUILD_ID. */
export async function deployCommands(server: DiscordStandIn, commands: readonly CommandInfo[], guildId: string | undefined): Promise<void> {
  const rest = new REST({ api: server.apiRoot }).setToken(server.token);
  try {
    await deploySlashCommands(rest, { applicationId: await applicationIdOf(rest), guildId }, commands);
  } finally {
    rest.clearHashSweeper();
    rest.clearHandlerSweeper();
  }
}
