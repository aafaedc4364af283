/**
 * /close as a Telegram admin meets it: the real router and commands behind the real telegraf
 * (TelegramTransport) against the Telegram stand-in, on a real database. The confirmation arrives
 * with its two inline buttons; Confirm answers the press, edits the message without buttons and
 * closes the position once.
 */
import { afterEach, beforeEach, expect, it } from "vitest";
import type { InlineKeyboardButton } from "telegraf/types";
import { COMMANDS } from "../../commands";
import { approveProposal } from "../../src/app/decide-proposal";
import { executeProposal } from "../../src/app/execute-proposal";
import { createChatRouter } from "../../src/chat/chat-router";
import { TelegramTransport } from "../../src/chat/telegram/telegram-transport";
import { silentLogger, useRecordingApps, type RecordingApp } from "../support/test-env";
import { seedProposal } from "../support/fixtures";
import { TelegramServer } from "../stand-ins/telegram-server";

const ALICE = { id: 111, first_name: "Alice" }; // admin
const VICTOR = { id: 333, first_name: "Victor" }; // viewer
const DESK = -1001234567890;

const newApp = useRecordingApps();
let server: TelegramServer;
let transport: TelegramTransport;
let env: RecordingApp;

beforeEach(async () => {
  server = new TelegramServer({ botUsername: "perpbot_bot" });
  await server.start();
  env = await newApp({ settings: { chatRoles: { telegram: { "111": "admin", "333": "viewer" }, discord: {} } } });
  transport = new TelegramTransport({ token: server.token, apiRoot: server.apiRoot, chatIds: [String(DESK)], logger: silentLogger, rateLimit: { secondMs: 20 } });
  await transport.start(createChatRouter(env.app, COMMANDS), COMMANDS);
});

afterEach(async () => {
  await transport.stop();
  await server.stop();
});

it("a Telegram admin's /close shows Confirm close and Cancel; a viewer's press is refused; the admin's closes once and removes the buttons", async () => {
  const id = await seedProposal(env.app, { side: "short", price: 0.6 });
  await approveProposal(env.app, id, { platform: "telegram", userId: "111", displayName: "Alice" });
  await executeProposal(env.app, id);
  server.injectCommand(ALICE, DESK, `/close ${id}`);
  const question = await server.waitFor(() => server.sentMessages[0], 5_000);
  expect(question.text).toMatch(/^Close this position\?/);
  const row = (question.replyMarkup?.inline_keyboard[0] ?? []) as (InlineKeyboardButton & { callback_data: string })[];
  expect(row.map((b) => b.text)).toEqual(["Confirm close", "Cancel"]);
  const confirm = row[0]?.callback_data ?? "";

  server.pressButton(VICTOR, DESK, question.messageId, confirm);
  expect((await server.waitFor(() => server.callbackAnswers[0], 5_000)).text).toMatch(/needs the admin role/);
  expect((await env.app.db.proposal.findUniqueOrThrow({ where: { id } })).status).toBe("open");

  server.pressButton(ALICE, DESK, question.messageId, confirm);
  // Acknowledged at once; the outcome, and who decided, is on the confirmation itself, which loses its buttons.
  expect((await server.waitFor(() => server.callbackAnswers[1], 5_000)).text).toBe("Closing…");
  const edit = await server.waitFor(() => server.edits[0], 5_000);
  expect(edit.text).toMatch(/^Close confirmed by Alice \(telegram\)\./);
  expect(edit.replyMarkup).toBeUndefined();
  expect(server.sentMessages).toHaveLength(1); // no reply in the group: the edit says it
  expect((await env.app.db.proposal.findUniqueOrThrow({ where: { id } })).status).toBe("closing");
  expect(env.dispatched.filter((d) => d === `close-${id}`)).toHaveLength(1);
});
