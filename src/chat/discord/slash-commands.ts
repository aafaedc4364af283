import {
  ApplicationCommandOptionType, ApplicationCommandType, Routes,
  type APIApplicationCommand, type REST, type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from "discord.js";
import type { CommandInfo } from "../transport";
import { truncate } from "./discord-payloads";

/**
 * Discord's slash commands, derived from the one command list (commands/index.ts), so a new
 * command needs no edit here. Registering them is `npm run discord:deploy`'s job
 * (scripts/discord-deploy.ts): Discord rate-limits command writes and keeps what was registered,
 * so the bot only compares at start (DiscordTransport) and says when a deploy is due.
 */
const MAX_DESCRIPTION = 100;

export type SlashCommand = RESTPostAPIChatInputApplicationCommandsJSONBody & {
  readonly options: readonly { type: ApplicationCommandOptionType.String; name: string; description: string; required: boolean }[];
};

/** Global, or in one guild: guild commands apply at once, global ones can take up to an hour to reach every client. */
export interface CommandScope {
  readonly applicationId: string;
  readonly guildId?: string | undefined;
}

export function slashCommandOf(command: CommandInfo): SlashCommand {
  // Discord rejects a required option after an optional one; values are read back by name, so the order is free.
  const args = [...command.args].sort((a, b) => Number(b.required) - Number(a.required));
  return {
    type: ApplicationCommandType.ChatInput,
    name: command.name,
    description: truncate(command.description, MAX_DESCRIPTION),
    options: args.map((arg) => ({
      type: ApplicationCommandOptionType.String,
      name: arg.name,
      description: truncate(arg.description, MAX_DESCRIPTION),
      required: arg.required,
    })),
  };
}

export function slashCommandsOf(commands: readonly CommandInfo[]): SlashCommand[] {
  return commands.map(slashCommandOf);
}

function commandsRoute(scope: CommandScope): `/${string}` {
  return scope.guildId === undefined ? Routes.applicationCommands(scope.applicationId) : Routes.applicationGuildCommands(scope.applicationId, scope.guildId);
}

export function describeScope(scope: CommandScope): string {
  return scope.guildId === undefined ? "globally" : `in guild ${scope.guildId}`;
}

/** The application behind the bot token: the deploy needs no id besides the token. */
export async function applicationIdOf(rest: REST): Promise<string> {
  const application = await rest.get(Routes.currentApplication()) as { id?: unknown };
  if (typeof application.id !== "string") throw new Error("Discord answered GET /applications/@me without an application id.");
  return application.id;
}

/** A bulk overwrite: commands not in the list are removed, re-running it changes nothing. */
export async function deploySlashCommands(rest: REST, scope: CommandScope, commands: readonly CommandInfo[]): Promise<APIApplicationCommand[]> {
  return await rest.put(commandsRoute(scope), { body: slashCommandsOf(commands) }) as APIApplicationCommand[];
}

export async function registeredSlashCommands(rest: REST, scope: CommandScope): Promise<APIApplicationCommand[]> {
  return await rest.get(commandsRoute(scope)) as APIApplicationCommand[];
}

/**
 * What differs between the registered commands and ours, one line each ("/settings is not
 * registered"); empty when they match. Only what Discord shows the user is compared (names,
 * descriptions, options in order); ids, versions and localizations are Discord's own. An option
 * Discord returns without `required` is optional.
 */
export function slashCommandDrift(registered: readonly APIApplicationCommand[], ours: readonly SlashCommand[]): string[] {
  const differences: string[] = [];
  const theirs = new Map(registered.map((c) => [c.name, c]));
  for (const wanted of ours) {
    const found = theirs.get(wanted.name);
    theirs.delete(wanted.name);
    if (found === undefined) differences.push(`/${wanted.name} is not registered`);
    else if ((found.type ?? ApplicationCommandType.ChatInput) !== ApplicationCommandType.ChatInput) differences.push(`/${wanted.name} is registered as another kind of command`);
    else if (found.description !== wanted.description) differences.push(`/${wanted.name} has another description`);
    else if (JSON.stringify(optionsOf(found)) !== JSON.stringify(wanted.options.map((o) => [o.type, o.name, o.description, o.required]))) differences.push(`/${wanted.name} has other options`);
  }
  for (const name of theirs.keys()) differences.push(`/${name} is registered but perpbot has no such command`);
  return differences;
}

function optionsOf(command: APIApplicationCommand): [number, string, string, boolean][] {
  return (command.options ?? []).map((o) => [o.type, o.name, o.description, "required" in o && o.required === true]);
}

/** One line per command for the deploy's output, e.g. "/close <position> — Close one open position…". */
export function describeCommand(command: Pick<APIApplicationCommand, "name" | "description" | "options">): string {
  const options = (command.options ?? []).map((o) => ("required" in o && o.required === true ? `<${o.name}>` : `[${o.name}]`));
  return [`/${command.name}`, ...options].join(" ") + ` — ${command.description}`;
}
