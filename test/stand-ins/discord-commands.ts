/**
 * The Discord stand-in's application-command registry rules: what PUT .../commands accepts (names,
 * descriptions, command and option types, required-before-optional options, at most 100
 * commands), the shape GET returns, and the interaction data a slash command arrives with.
 */
import { bad, fieldError, type Json, type Rejection } from "./discord-rules";

/** `type`: 1 slash command, 2 user and 3 message context menu; `options` with `required` always set, for tests to read. */
export interface RecordedCommand { id: string; type: number; name: string; description: string; options: Json[]; guildId: string | null }
/** CHAT_INPUT, USER, MESSAGE (PRIMARY_ENTRY_POINT, 4, is for Activities apps only: refused here); option types SUB_COMMAND (1) … ATTACHMENT (11). */
const COMMAND_TYPES: readonly number[] = [1, 2, 3];
const OPTION_TYPES: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

export function validateCommands(commands: Json[]): Rejection | null {
  if (commands.length > 100) return bad({ _errors: [{ code: "BASE_TYPE_MAX_LENGTH", message: "Must be 100 or fewer in length." }] });
  const names = new Set<string>();
  for (const [n, command] of commands.entries()) {
    const at = (field: string, code: string, message: string): Rejection => bad({ [n]: { [field]: fieldError(code, message) } });
    const type = Number(command.type ?? 1);
    if (!COMMAND_TYPES.includes(type)) return at("type", "BASE_TYPE_CHOICES", `Value must be one of {${COMMAND_TYPES.join(", ")}}.`);
    if (type !== 1) {
      // User and message commands (right-click menus): any case and spaces, no description, no options.
      if (typeof command.name !== "string" || command.name.length < 1 || command.name.length > 32) return at("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length.");
      if (command.description !== undefined && command.description !== "") return at("description", "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION_INVALID", "Context menu commands cannot have description");
      if (Array.isArray(command.options) && command.options.length > 0) return at("options", "APPLICATION_COMMAND_CONTEXT_MENU_OPTIONS_INVALID", "Context menu commands cannot have options");
      if (names.has(`${String(type)}:${command.name}`)) return at("name", "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique");
      names.add(`${String(type)}:${command.name}`);
      continue;
    }
    const invalidName = checkName(command.name);
    if (invalidName) return at("name", "APPLICATION_COMMAND_INVALID_NAME", invalidName);
    if (names.has(`1:${String(command.name)}`)) return at("name", "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique");
    names.add(`1:${String(command.name)}`);
    if (!checkDescription(command.description)) return at("description", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.");
    const options = (command.options ?? []) as Json[];
    if (options.length > 25) return at("options", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.");
    let sawOptional = false;
    const optionNames = new Set<string>();
    for (const [o, option] of options.entries()) {
      const atOption = (field: string, code: string, message: string): Rejection => bad({ [n]: { options: { [o]: { [field]: fieldError(code, message) } } } });
      const invalid = checkName(option.name);
      if (option.type === undefined) return atOption("type", "BASE_TYPE_REQUIRED", "This field is required");
      if (!OPTION_TYPES.includes(option.type as number)) return atOption("type", "BASE_TYPE_CHOICES", `Value must be one of {${OPTION_TYPES.join(", ")}}.`);
      if (invalid) return atOption("name", "APPLICATION_COMMAND_INVALID_NAME", invalid);
      if (optionNames.has(option.name as string)) return atOption("name", "APPLICATION_COMMAND_OPTION_NAME_ALREADY_EXISTS", "Option names must be unique");
      optionNames.add(option.name as string);
      if (!checkDescription(option.description)) return atOption("description", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.");
      if (option.required !== undefined && typeof option.required !== "boolean") return atOption("required", "BASE_TYPE_BOOLEAN", "Must be either true or false.");
      if (option.required === true && sawOptional) return atOption("required", "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID", "Required options must be placed before non-required options");
      if (option.required !== true) sawOptional = true;
    }
  }
  return null;
}

/** What Discord sends for a slash command: options in declared order, every required one present. */
export function slashCommandData(command: RecordedCommand, options: Record<string, string>): Json {
  if (command.type !== 1) throw new Error(`runSlashCommand: /${command.name} is not a slash command`);
  const data: Json[] = [];
  for (const option of command.options) {
    const value = options[option.name as string];
    if (value !== undefined) data.push({ name: option.name, type: 3, value });
    else if (option.required === true) throw new Error(`runSlashCommand: /${command.name} needs option ${String(option.name)}`);
  }
  return { id: command.id, name: command.name, type: 1, options: data, ...(command.guildId ? { guild_id: command.guildId } : {}) };
}

function checkName(name: unknown): string | null {
  if (typeof name !== "string" || !NAME.test(name)) return "Command name is invalid";
  return name === name.toLowerCase() ? null : "Command name must be lower case";
}

function checkDescription(description: unknown): boolean {
  return typeof description === "string" && description.length >= 1 && description.length <= 100;
}

/**
 * A registered command as Discord returns it. Discord leaves out what is empty or false to save
 * bytes: `required` only when true, `options` only when there are some (so a client comparing its
 * own definitions must read a missing one as false / none).
 */
export function commandPayload(c: RecordedCommand, applicationId: string, version: string): Json {
  const options = c.options.map(({ required, ...option }) => (required === true ? { ...option, required } : option));
  return {
    id: c.id, application_id: applicationId, version, type: c.type, name: c.name, name_localizations: null, description: c.description,
    description_localizations: null, ...(options.length > 0 ? { options } : {}), default_member_permissions: null, nsfw: false, integration_types: [0], contexts: null,
    ...(c.guildId ? { guild_id: c.guildId } : { dm_permission: true }),
  };
}

