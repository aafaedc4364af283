import { ActionRowBuilder, AttachmentBuilder, ButtonBuilder, ButtonStyle as DiscordButtonStyle } from "discord.js";
import type { Button, ButtonStyle, OutgoingMessage, ReplyImage } from "../transport";

/** Discord's limits and the shapes of what perpbot sends there (split out of discord-transport.ts). */
export const MAX_CONTENT = 2_000;
const MAX_LABEL = 80;
const BUTTONS_PER_ROW = 5;
const MAX_ROWS = 5;
const STYLES: Record<ButtonStyle, DiscordButtonStyle> = {
  primary: DiscordButtonStyle.Primary,
  danger: DiscordButtonStyle.Danger,
  secondary: DiscordButtonStyle.Secondary,
};

export function toPayload(message: OutgoingMessage): { content: string; components: ActionRowBuilder<ButtonBuilder>[] } {
  return { content: nonEmpty(truncate(message.text, MAX_CONTENT)), components: buttonRows(message.buttons) };
}

/** A reply's image as a message attachment (uploaded as multipart `files[0]` with the JSON payload). */
export function attachmentsOf(image: ReplyImage | undefined): AttachmentBuilder[] {
  return image === undefined ? [] : [new AttachmentBuilder(image.png, { name: image.filename })];
}

/** An empty list removes the buttons of an edited message. */
export function buttonRows(buttons: readonly Button[] | undefined): ActionRowBuilder<ButtonBuilder>[] {
  const rows: ActionRowBuilder<ButtonBuilder>[] = [];
  const list = (buttons ?? []).slice(0, BUTTONS_PER_ROW * MAX_ROWS);
  for (let i = 0; i < list.length; i += BUTTONS_PER_ROW) {
    rows.push(new ActionRowBuilder<ButtonBuilder>().addComponents(list.slice(i, i + BUTTONS_PER_ROW).map((button) =>
      new ButtonBuilder().setCustomId(button.data).setLabel(truncate(button.label, MAX_LABEL)).setStyle(STYLES[button.style]))));
  }
  return rows;
}

/** Discord caps a message at 2,000 characters: split at line breaks where possible. */
export function splitContent(text: string): string[] {
  const parts: string[] = [];
  let rest = text;
  while ([...rest].length > MAX_CONTENT) {
    const window = [...rest].slice(0, MAX_CONTENT).join("");
    const cut = window.lastIndexOf("\n") > MAX_CONTENT / 2 ? window.lastIndexOf("\n") : window.length;
    parts.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^\n/, "");
  }
  parts.push(nonEmpty(rest));
  return parts;
}

export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

/** Discord refuses an empty message; a zero-width space keeps a button-only message valid. */
export function nonEmpty(text: string): string {
  return text === "" ? "\u200b" : text;
}
