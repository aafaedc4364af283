import {
  Client, DiscordAPIError, DiscordjsErrorCodes, Events, GatewayIntentBits, MessageFlags, Options, RESTEvents,
  type ButtonInteraction, type ChatInputCommandInteraction, type Interaction,
} from "discord.js";
import type { Logger } from "../../log";
import { DeliveryError, type Acknowledge, type Acknowledgement, type Actor, type ButtonOutcome, type ChatHandlers, type ChatTransport, type CommandInfo, type MessageRef, type OutgoingMessage, type Reply } from "../transport";
import { attachmentsOf, buttonRows, MAX_CONTENT, splitContent, toPayload, truncate } from "./discord-payloads";
import { describeScope, registeredSlashCommands, slashCommandDrift, slashCommandsOf } from "./slash-commands";

export interface DiscordTransportOptions {
  readonly token: string;
  /** Only for tests against a local stand-in, e.g. "http://127.0.0.1:PORT/api". */
  readonly apiRoot?: string;
  readonly channelIds: readonly string[];
  /** Where `npm run discord:deploy` registered the slash commands: this guild, or globally when unset. */
  readonly guildId?: string;
  readonly logger: Logger;
  /** How long start() waits for the gateway to become ready. */
  readonly readyTimeoutMs?: number;
}

const APOLOGY = "Sorry, something went wrong while handling that. The error was logged; please try again.";
/** Gateway close codes after which discord.js gives up; each gets a message saying what to change. */
const FATAL_CLOSE_HINTS: Record<number, string> = {
  4004: "Discord rejected DISCORD_BOT_TOKEN at the gateway (4004 Authentication failed). Reset the token in the Developer Portal (Bot → Reset Token) and set DISCORD_BOT_TOKEN to the new value.",
  4013: "Discord rejected the gateway intents (4013 Invalid intents). This is a bug in perpbot: please report it.",
  4014: "Discord refused a privileged gateway intent (4014 Disallowed intents). perpbot needs none; this is a bug: please report it.",
};

/** Discord via discord.js: slash commands in, messages with button rows out, one interaction router. */
export class DiscordTransport implements ChatTransport {
  readonly platform = "discord" as const;
  readonly #options: DiscordTransportOptions;
  readonly #log: Logger;
  #client: Client | null = null;
  #commands = new Map<string, CommandInfo>();

  constructor(options: DiscordTransportOptions) {
    this.#options = options;
    this.#log = options.logger.child({ transport: "discord" });
  }

  async start(handlers: ChatHandlers, commands: readonly CommandInfo[]): Promise<void> {
    if (this.#client) throw new Error("DiscordTransport.start() called twice; call stop() first.");
    if (this.#options.token.trim() === "") throw new Error("DISCORD_BOT_TOKEN is empty. Copy the bot token from the Discord Developer Portal (your application → Bot → Reset Token).");
    this.#commands = new Map(commands.map((c) => [c.name, c]));
    const client = new Client({
      intents: [GatewayIntentBits.Guilds], // no privileged intents: everything arrives as interactions
      allowedMentions: { parse: [] }, // texts are shown verbatim; "@everyone" in a signal must not ping anyone
      // Memory (the bot aims to stay under 150 MB resident): no cache of what perpbot never reads
      // back. Messages are edited by id over REST, members and reactions arrive with each interaction.
      makeCache: Options.cacheWithLimits({
        ...Options.DefaultMakeCacheSettings, MessageManager: 0, ReactionManager: 0, PresenceManager: 0, VoiceStateManager: 0,
        GuildEmojiManager: 0, GuildStickerManager: 0, GuildScheduledEventManager: 0, GuildInviteManager: 0, GuildBanManager: 0, StageInstanceManager: 0,
        GuildMemberManager: { maxSize: 0, keepOverLimit: (member) => member.id === member.client.user.id },
      }),
      ...(this.#options.apiRoot === undefined ? {} : { rest: { api: this.#options.apiRoot } }),
    });
    this.#client = client;
    this.#attachLogging(client);
    // One permanent router, attached before login, so buttons on messages from earlier runs keep working.
    client.on(Events.InteractionCreate, (interaction) => void this.#route(interaction, handlers));
    try {
      await this.#login(client);
    } catch (error) {
      await this.stop();
      throw error;
    }
    this.#log.info({ channels: this.#options.channelIds.length, commands: commands.length, guildScoped: this.#options.guildId !== undefined }, "discord transport started");
    void this.#warnIfCommandsOutOfDate(client, commands);
  }

  async stop(): Promise<void> {
    const client = this.#client;
    this.#client = null;
    if (!client) return;
    client.removeAllListeners(Events.ShardReconnecting); // our own close is not a reconnect worth a warning
    await client.destroy();
  }

  get chatIds(): readonly string[] {
    return this.#options.channelIds;
  }

  async broadcast(message: OutgoingMessage, skip?: ReadonlySet<string>, silent?: ReadonlySet<string>): Promise<MessageRef[]> {
    const client = this.#requireClient();
    // `skip`: channels that already have this message (a retried notice) are not posted to again.
    const channelIds = this.#options.channelIds.filter((id) => !(skip?.has(id) ?? false));
    const sent = await Promise.all(channelIds.map(async (channelId): Promise<MessageRef | { channelId: string; error: unknown } | null> => {
      try {
        const channel = await client.channels.fetch(channelId);
        if (!channel?.isSendable()) throw new NotSendable();
        const parts = splitContent(message.text);
        let last: { id: string } | undefined;
        // The channel's alert setting "silent": posted without pinging anyone's device.
        const flags = silent?.has(channelId) === true ? { flags: MessageFlags.SuppressNotifications } as const : {};
        for (const [index, part] of parts.entries()) {
          const isLast = index === parts.length - 1;
          last = await channel.send({ content: part, components: isLast ? buttonRows(message.buttons) : [], ...flags });
        }
        return last ? { platform: "discord", chatId: channelId, messageId: last.id } : null;
      } catch (error) {
        // One unreachable channel must not stop the others from getting the signal.
        if (isPermanent(error)) {
          this.#log.error({ err: error, channelId }, "discord broadcast to channel failed for good (no access, unknown channel); skipped");
          return null;
        }
        return { channelId, error };
      }
    }));
    const refs = sent.filter((r): r is MessageRef => r !== null && "messageId" in r);
    const later = sent.filter((r): r is { channelId: string; error: unknown } => r !== null && "error" in r);
    // discord.js already waited out Discord's rate-limit headers; what still fails (5xx, network)
    // fails the notify job, which retries the channels still missing it.
    if (later.length > 0) throw new DeliveryError(`Discord could not deliver to ${later.map((f) => `${f.channelId} (${errorMessage(f.error)})`).join(", ")}`, refs, null);
    return refs;
  }

  async edit(ref: MessageRef, message: OutgoingMessage): Promise<void> {
    if (ref.platform !== "discord") throw new Error(`DiscordTransport cannot edit a ${ref.platform} message`);
    const channel = await this.#requireClient().channels.fetch(ref.chatId);
    if (!channel?.isTextBased()) throw new Error(`Discord channel ${ref.chatId} is not a text channel`);
    await channel.messages.edit(ref.messageId, toPayload(message));
  }

  async #login(client: Client): Promise<void> {
    const timeoutMs = this.#options.readyTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    // login() resolves on the gateway READY; the client is usable only after its guilds arrived.
    const ready = new Promise<void>((resolve, reject) => {
      client.once(Events.ClientReady, () => resolve());
      client.once(Events.ShardDisconnect, (event) => reject(new Error(FATAL_CLOSE_HINTS[event.code] ?? `The Discord gateway closed the connection (code ${event.code}).`)));
      timer = setTimeout(() => reject(new Error(`Discord did not become ready within ${timeoutMs / 1000} s. Check the network connection to discord.com.`)), timeoutMs);
    });
    ready.catch(() => undefined); // a rejection before login() returns is picked up by the await below
    try {
      await client.login(this.#options.token);
      await ready;
    } catch (error) {
      if (isCode(error, DiscordjsErrorCodes.TokenInvalid)) {
        throw new Error("Discord rejected DISCORD_BOT_TOKEN (401 Unauthorized). Open the Discord Developer Portal → your application → Bot → Reset Token, put the new token in DISCORD_BOT_TOKEN and restart.");
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Slash commands are registered by `npm run discord:deploy`, not here: Discord keeps them, and
   * every process start (several roles, restarts, crash loops) rewriting its rate-limited command
   * registry buys nothing. Comparing costs one read; a difference is a warning, never a reason not
   * to start (the old registry still works, just without what changed); a failed read is logged.
   */
  async #warnIfCommandsOutOfDate(client: Client, commands: readonly CommandInfo[]): Promise<void> {
    const scope = { applicationId: client.application?.id ?? client.user?.id ?? "", guildId: this.#options.guildId };
    try {
      const differences = slashCommandDrift(await registeredSlashCommands(client.rest, scope), slashCommandsOf(commands));
      if (differences.length > 0) this.#log.warn({ differences, registered: describeScope(scope) }, "slash commands out of date: run npm run discord:deploy");
      else this.#log.info({ registered: describeScope(scope) }, "slash commands up to date");
    } catch (error) {
      if (this.#client !== client) return; // stopped meanwhile: the read was cut short, not refused
      this.#log.warn({ error: errorMessage(error), registered: describeScope(scope) }, "could not read the registered slash commands to compare them; ignored");
    }
  }

  async #route(interaction: Interaction, handlers: ChatHandlers): Promise<void> {
    try {
      if (interaction.isChatInputCommand()) await this.#onCommand(interaction, handlers);
      else if (interaction.isButton()) await this.#onButton(interaction, handlers);
    } catch (error) {
      this.#log.error({ err: error, interactionId: interaction.id }, "discord interaction failed");
    }
  }

  async #onCommand(interaction: ChatInputCommandInteraction, handlers: ChatHandlers): Promise<void> {
    // Acknowledge first: Discord drops interactions not answered within 3 s.
    await interaction.deferReply();
    let reply: Reply;
    try {
      reply = await handlers.onCommand(interaction.commandName, this.#argsOf(interaction), actorOf(interaction), interaction.channelId);
    } catch (error) {
      this.#log.error({ err: error, command: interaction.commandName }, "command handler threw");
      reply = { text: APOLOGY };
    }
    if (reply.private === true || reply.text === "") {
      await this.#replyPrivately(interaction, reply);
      return;
    }
    const parts = splitContent(reply.text);
    try {
      for (const [index, part] of parts.entries()) {
        const isLast = index === parts.length - 1;
        // An image (e.g. /chart) rides on the first part: the text above it is its caption.
        const payload = { content: part, components: isLast ? buttonRows(reply.buttons) : [], ...(index === 0 ? { files: attachmentsOf(reply.image) } : {}) };
        if (index === 0) await interaction.editReply(payload);
        else await interaction.followUp(payload);
      }
    } catch (error) {
      // Otherwise the user is left looking at "perpbot is thinking…" for 15 minutes.
      this.#log.error({ err: error, command: interaction.commandName }, "sending the command reply failed");
      await interaction.editReply({ content: APOLOGY, components: [], attachments: [] });
    }
  }

  /**
   * Refusals and usage lines are for the sender only. The deferral is already public (it had to go
   * out before the answer was known), so it is deleted and the text follows as an ephemeral
   * message; an empty text (a rate-limited refusal) just removes the deferral.
   */
  async #replyPrivately(interaction: ChatInputCommandInteraction, reply: Reply): Promise<void> {
    try {
      await interaction.deleteReply();
      if (reply.text !== "") await interaction.followUp({ content: truncate(reply.text, MAX_CONTENT), files: attachmentsOf(reply.image), flags: MessageFlags.Ephemeral });
    } catch (error) {
      this.#log.error({ err: error, command: interaction.commandName }, "sending a private command reply failed");
    }
  }

  /**
   * A press, acknowledged first: the router screens it from memory and calls back at once, before
   * anything is read or written. A refusal (or a button no longer valid) is the whole answer, as an
   * ephemeral reply; an allowed press is deferred (deferUpdate: the carrying message becomes the
   * interaction's "original", so editReply edits the card) and decided after it, the result
   * following as an ephemeral follow-up (the token stays valid for 15 minutes). Discord drops a
   * press not answered within 3 s ("This interaction failed"); one it already dropped is not acted on.
   */
  async #onButton(interaction: ButtonInteraction, handlers: ChatHandlers): Promise<void> {
    const ref: MessageRef = { platform: "discord", chatId: interaction.channelId ?? interaction.message.channelId, messageId: interaction.message.id };
    let acknowledged = false;
    const acknowledge: Acknowledge = async (ack) => {
      if (acknowledged) return true;
      acknowledged = true;
      return await this.#acknowledge(interaction, ack);
    };
    let outcome: ButtonOutcome;
    try {
      outcome = await handlers.onButton(interaction.customId, actorOf(interaction), ref, acknowledge);
    } catch (error) {
      this.#log.error({ err: error, customId: interaction.customId }, "button handler threw");
      outcome = { toast: APOLOGY };
    }
    // A handler that decided without acknowledging: defer now, and its toast follows privately.
    if (!acknowledged && !(await acknowledge({ text: "", final: false }))) return;
    if (outcome.edit) {
      try {
        await interaction.editReply(toPayload(outcome.edit));
      } catch (error) {
        this.#log.error({ err: error, messageId: ref.messageId }, "editing the button's message failed");
      }
    }
    if (outcome.toast.trim() !== "") {
      await interaction.followUp({ content: truncate(outcome.toast, MAX_CONTENT), flags: MessageFlags.Ephemeral });
    }
  }

  /** The press's initial response; false when Discord no longer takes one (too late, 10062; answered, 40060). */
  async #acknowledge(interaction: ButtonInteraction, ack: Acknowledgement): Promise<boolean> {
    try {
      if (ack.final && ack.text !== "") await interaction.reply({ content: truncate(ack.text, MAX_CONTENT), flags: MessageFlags.Ephemeral });
      else await interaction.deferUpdate();
      return true;
    } catch (error) {
      // Discord has told the presser it failed, so nothing is decided on their behalf; they can press again.
      this.#log.warn({ err: error, customId: interaction.customId }, "a button press could not be acknowledged; not acted on");
      return false;
    }
  }

  /** Values in declared order, like Telegram's positional args; trailing unset options are dropped. */
  #argsOf(interaction: ChatInputCommandInteraction): string[] {
    const declared = this.#commands.get(interaction.commandName)?.args;
    if (!declared) return interaction.options.data.map((option) => String(option.value ?? ""));
    const values = declared.map((arg) => interaction.options.getString(arg.name) ?? "");
    while (values.length > 0 && values[values.length - 1] === "") values.pop();
    return values;
  }

  #attachLogging(client: Client): void {
    // An 'error' event without a listener would crash the process.
    client.on(Events.Error, (error) => this.#log.error({ err: error }, "discord client error"));
    client.on(Events.Warn, (message) => this.#log.warn({ detail: message }, "discord client warning"));
    client.on(Events.ShardDisconnect, (event) => this.#log.error({ code: event.code }, "discord gateway closed for good"));
    client.on(Events.ShardReconnecting, () => this.#log.warn("discord gateway reconnecting"));
    client.on(Events.ShardResume, () => this.#log.info("discord gateway resumed"));
    client.rest.on(RESTEvents.RateLimited, (info) => {
      this.#log.warn({ route: info.route, retryAfterMs: info.retryAfter, global: info.global }, "discord rate limit hit; discord.js waits and retries");
    });
  }

  #requireClient(): Client {
    if (!this.#client) throw new Error("DiscordTransport is not started");
    return this.#client;
  }
}

function actorOf(interaction: ChatInputCommandInteraction | ButtonInteraction): Actor {
  const member = interaction.inCachedGuild() ? interaction.member.displayName : null;
  return { platform: "discord", userId: interaction.user.id, displayName: member ?? interaction.user.displayName };
}

class NotSendable extends Error {
  constructor() { super("not a text channel the bot can post in"); }
}

/** Asking again cannot help: the channel is gone, not a text channel, or the bot may not post there. */
function isPermanent(error: unknown): boolean {
  if (error instanceof NotSendable) return true;
  return error instanceof DiscordAPIError && error.status >= 400 && error.status < 500 && error.status !== 429;
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === code;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
