/**
 * /chart as users meet it: equity readings in the journal, the real router and command, the real
 * telegraf and discord.js against their stand-ins, which take the image as the real services do
 * (multipart uploads, their size and caption limits) and keep its bytes for us to look at.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { Telegraf, TelegramError } from "telegraf";
import { afterEach, describe, expect, it } from "vitest";
import { COMMANDS } from "../../commands";
import { createChatRouter } from "../../src/chat/chat-router";
import { ConsoleTransport } from "../../src/chat/console/console-transport";
import { DiscordTransport } from "../../src/chat/discord/discord-transport";
import { TelegramTransport } from "../../src/chat/telegram/telegram-transport";
import type { ChatHandlers } from "../../src/chat/transport";
import { renderEquityChart } from "../../src/render/charts";
import { DiscordStandIn } from "../stand-ins/discord-server";
import { deployCommands } from "../support/discord-commands";
import { REPO_ROOT } from "../stand-ins/exchange-server";
import { imageSize, PNG_SIGNATURE } from "../stand-ins/multipart-form";
import { TelegramServer } from "../stand-ins/telegram-server";
import { silentLogger, testSettings, useRecordingApps, type RecordingApp } from "../support/test-env";

const ALICE = { id: 111, first_name: "Alice" }; // on TELEGRAM_ALLOWED_USER_IDS (testSettings)
const DESK = -1001234567890;
const NOW = Date.UTC(2026, 0, 5, 0, 0, 0); // the recording app's clock
const HOUR = 3_600_000;

const newApp = useRecordingApps();
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/** Hourly readings over the last `hours` hours: a rise, a 12% fall, part of it won back. */
async function seedEquity(env: RecordingApp, hours: number): Promise<void> {
  let peak = 0;
  const data = Array.from({ length: hours }, (_, k) => {
    const i = hours - 1 - k;
    const phase = k / hours;
    const equity = phase < 0.4 ? 10_000 + phase * 2_500 : phase < 0.7 ? 11_000 - (phase - 0.4) * 4_400 : 9_680 + (phase - 0.7) * 2_000;
    peak = Math.max(peak, equity);
    return { ts: new Date(NOW - i * HOUR), equity: equity.toFixed(2), peak: peak.toFixed(2), drawdown: (peak - equity) / peak };
  });
  await env.app.db.equitySnapshot.createMany({ data });
}

async function telegram(env: RecordingApp, handlers?: ChatHandlers): Promise<TelegramServer> {
  const server = new TelegramServer({ botUsername: "perpbot_bot" });
  await server.start();
  const transport = new TelegramTransport({ token: server.token, apiRoot: server.apiRoot, chatIds: [String(DESK)], logger: silentLogger, rateLimit: { secondMs: 20 } });
  await transport.start(handlers ?? createChatRouter(env.app, COMMANDS), COMMANDS);
  stops.push(() => server.stop(), () => transport.stop());
  return server;
}

function expectPng(data: Buffer, width = 1200, height = 700): void {
  expect(data.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  expect(imageSize(data)).toEqual({ width, height, format: "png" });
  expect(data.length).toBeGreaterThan(20_000);
}

describe("/chart on Telegram", () => {
  it("sends the month's equity curve as a photo, the figures as its caption", async () => {
    const env = await newApp();
    await seedEquity(env, 40 * 24); // 40 days: the month shows the last 30 of them
    const server = await telegram(env);
    server.injectCommand(ALICE, DESK, "/chart");
    const photo = await server.waitFor(() => server.sentPhotos[0], 15_000);
    expectPng(photo.data);
    expect(photo.chatId).toBe(DESK);
    expect(photo.filename).toBe("perpbot-equity-month-2026-01-05.png");
    expect(photo.caption).toMatch(/^Equity over the last 30 days \(PAPER\): [\d,.]+ USDT → [\d,.]+ USDT \([+-][\d.]+%\)\.\nDeepest drawdown 12% below the peak; now [\d.]+%\.\n721 readings, 2025-12-06 00:00 → 2026-01-05 00:00 UTC\.$/);
    expect(server.sentMessages).toEqual([]);
  });

  it("/chart day and /chart WEEK read their own period; a wrong period gets the usage line", async () => {
    const env = await newApp();
    await seedEquity(env, 10 * 24);
    const server = await telegram(env);
    server.injectCommand(ALICE, DESK, "/chart day");
    const day = await server.waitFor(() => server.sentPhotos[0], 15_000);
    expect(day.caption).toMatch(/^Equity over the last 24 hours[\s\S]*\n25 readings, /);
    server.injectCommand(ALICE, DESK, "/chart WEEK");
    const week = await server.waitFor(() => server.sentPhotos[1], 15_000);
    expect(week.caption).toMatch(/^Equity over the last 7 days[\s\S]*\n169 readings, /);
    expect(day.data.equals(week.data)).toBe(false);
    server.injectCommand(ALICE, DESK, "/chart year");
    const usage = await server.waitFor(() => server.sentMessages[0], 5_000);
    expect(usage.text).toBe("Usage: /chart [day|week|month|all] — equity and drawdown over that period, a month if none is given");
  });

  it("answers in words while there are fewer than two readings", async () => {
    const env = await newApp();
    const server = await telegram(env);
    server.injectCommand(ALICE, DESK, "/chart");
    const none = await server.waitFor(() => server.sentMessages[0], 5_000);
    expect(none.text).toMatch(/^No chart for the last 30 days: the journal has no equity reading there, and a curve needs two\. .*Try \/chart all, or ask again later\.$/);
    await env.app.db.equitySnapshot.create({ data: { ts: new Date(NOW - HOUR), equity: "10000", peak: "10000", drawdown: 0 } });
    server.injectCommand(ALICE, DESK, "/chart all");
    const one = await server.waitFor(() => server.sentMessages[1], 5_000);
    expect(one.text).toMatch(/^No chart for all time: the journal has only one equity reading there.*Ask again later\.$/);
    expect(server.sentPhotos).toEqual([]);
  });

  it("fits a caption over Telegram's 1,024 characters: cut at a line, the rest follows as a message", async () => {
    const env = await newApp();
    const png = await renderEquityChart({ points: [{ ts: NOW - HOUR, equity: 1 }, { ts: NOW, equity: 2 }], title: "t" });
    const lines = Array.from({ length: 40 }, (_, i) => `line ${i}: ${"x".repeat(40)}`);
    const handlers: ChatHandlers = {
      onCommand: () => Promise.resolve({ text: lines.join("\n"), image: { png, filename: "long.png" } }),
      onButton: () => Promise.resolve({ toast: "" }),
    };
    const server = await telegram(env, handlers);
    server.injectCommand(ALICE, DESK, "/chart");
    const rest = await server.waitFor(() => server.sentMessages[0], 5_000);
    const photo = server.sentPhotos[0];
    expect(photo?.caption?.length).toBeLessThanOrEqual(1024);
    expect(`${photo?.caption ?? ""}\n${rest.text}`).toBe(lines.join("\n"));
    expect(photo?.data.equals(png)).toBe(true);
  });

  it("the stand-in refuses what Telegram refuses, in the Bot API's error shape", async () => {
    const server = new TelegramServer();
    await server.start();
    stops.push(() => server.stop());
    const api = new Telegraf(server.token, { telegram: { apiRoot: server.apiRoot } }).telegram;
    const png = await renderEquityChart({ points: [{ ts: NOW - HOUR, equity: 1 }, { ts: NOW, equity: 2 }], title: "t", width: 300, height: 200 });
    const refusal = (call: Promise<unknown>) => call.then(() => "accepted", (e: unknown) => (e instanceof TelegramError ? `${e.code} ${e.description}` : String(e)));
    expect(await refusal(api.sendPhoto(DESK, { source: png, filename: "c.png" }, { caption: "y".repeat(1025) }))).toBe("400 Bad Request: message caption is too long");
    expect(await refusal(api.sendPhoto(DESK, { source: Buffer.from("not an image"), filename: "c.png" }))).toBe("400 Bad Request: IMAGE_PROCESS_FAILED");
    expect(await refusal(api.sendPhoto(DESK, { source: Buffer.alloc(0), filename: "c.png" }))).toBe("400 Bad Request: file must be non-empty");
    expect(await refusal(api.sendPhoto(DESK, { source: Buffer.concat([png, Buffer.alloc(10 * 1024 * 1024)]), filename: "c.png" }))).toBe("400 Bad Request: file is too big");
    expect(await refusal(api.sendPhoto(DESK, "https://example.invalid/c.png"))).toBe("400 Bad Request: wrong file identifier/HTTP URL specified");
    const missing = await fetch(`${server.apiRoot}/bot${server.token}/sendPhoto`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ chat_id: DESK }) });
    expect([missing.status, await missing.json()]).toEqual([400, { ok: false, error_code: 400, description: "Bad Request: there is no photo in the request" }]);
    expect(await refusal(api.sendPhoto(DESK, { source: png, filename: "c.png" }, { caption: "y".repeat(1024) }))).toBe("accepted");
    expect(server.sentPhotos.map((p) => [p.width, p.height, p.caption?.length])).toEqual([[300, 200, 1024]]);
  });
});

describe("/chart on Discord", () => {
  it("answers the slash command with the chart as an attachment and the caption as the text", async () => {
    const alice = { id: "284101956723015680", username: "alice" };
    const env = await newApp({ settings: { chatRoles: { ...testSettings().chatRoles, discord: { [alice.id]: "viewer" } } } });
    await seedEquity(env, 10 * 24);
    const server = new DiscordStandIn();
    await server.start();
    await deployCommands(server, COMMANDS, server.guildId);
    const transport = new DiscordTransport({ token: server.token, apiRoot: server.apiRoot, channelIds: [server.channelId], guildId: server.guildId, logger: silentLogger });
    await transport.start(createChatRouter(env.app, COMMANDS), COMMANDS);
    stops.push(() => server.stop(), () => transport.stop());

    expect(server.registeredCommands.find((c) => c.name === "chart")?.options.map((o) => [o.name, o.required])).toEqual([["period", false]]);
    const id = server.runSlashCommand(alice, "chart", { period: "week" });
    const upload = await server.waitFor(() => server.uploads[0], 15_000);
    expectPng(upload.data);
    expect(upload).toMatchObject({ via: "edit-original", filename: "perpbot-equity-week-2026-01-05.png", contentType: "image/png", ephemeral: false });
    const answer = server.interactionResponses.find((r) => r.interactionId === id && r.type === "edit-original");
    expect(String(answer?.data.content)).toMatch(/^Equity over the last 7 days \(PAPER\)[\s\S]*\n169 readings, /);
  });

  it("the stand-in takes payload_json + files[n] and refuses uploads over the 10 MiB limit", async () => {
    const server = new DiscordStandIn();
    await server.start();
    stops.push(() => server.stop());
    const png = await renderEquityChart({ points: [{ ts: NOW - HOUR, equity: 1 }, { ts: NOW, equity: 2 }], title: "t", width: 300, height: 200 });
    const post = (file: Buffer) => {
      const form = new FormData();
      form.append("payload_json", JSON.stringify({ content: "chart", attachments: [{ id: 0, description: "equity" }] }));
      form.append("files[0]", new Blob([file], { type: "image/png" }), "c.png");
      return fetch(`${server.apiRoot}/v10/channels/${server.channelId}/messages`, { method: "POST", headers: { authorization: `Bot ${server.token}` }, body: form });
    };
    const ok = await post(png);
    const message = await ok.json() as { attachments: { filename: string; width: number; height: number; size: number; description: string }[] };
    expect(ok.status).toBe(200);
    expect(message.attachments).toMatchObject([{ filename: "c.png", width: 300, height: 200, size: png.length, description: "equity" }]);
    const tooBig = await post(Buffer.concat([png, Buffer.alloc(10_485_760)]));
    expect([tooBig.status, await tooBig.json()]).toEqual([413, { message: "Request entity too large", code: 40005 }]);
    expect(server.uploads.map((u) => u.data.equals(png))).toEqual([true]);
  });
});

describe("/chart on the console", () => {
  it("writes the image to a file and prints its path under the caption", async () => {
    const lines: string[] = [];
    const console = new ConsoleTransport({ write: (text) => lines.push(text) });
    const png = await renderEquityChart({ points: [{ ts: NOW - HOUR, equity: 1 }, { ts: NOW, equity: 2 }], title: "t", width: 300, height: 200 });
    await console.showReply({ text: "Equity over the last day", image: { png, filename: "equity.png" } });
    const path = /\[image: (.+\.png)\]$/.exec(lines[0] ?? "")?.[1];
    expect(lines[0]).toMatch(/^Equity over the last day\n\[image: /);
    expect((await readFile(path ?? "")).equals(png)).toBe(true);
  });
});

/**
 * The memory goal: the chart stack (chart.js, its date adapter, the native canvas, ~40 MB) is
 * loaded when a chart is drawn, not when the bot starts. A child process imports what the bot
 * role and the runtime import, under a module hook that refuses the chart packages.
 */
describe("the chart stack loads lazily", () => {
  const run = promisify(execFile);
  const HOOKS = `
export async function resolve(specifier, context, next) {
  if (/^(chart\\.js|chartjs-adapter-luxon|@napi-rs\\/canvas)(\\/|$)/.test(specifier)) throw new Error("refused chart module " + specifier);
  return next(specifier, context);
}`;
  const REGISTER = `import { register } from "node:module"; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOKS)}`)});`;
  const SCRIPT = (extra: string) => `
const root = ${JSON.stringify(REPO_ROOT)};
await import(root + "src/runtime.ts");
await import(root + "commands/index.ts");
await import(root + "src/chat/telegram/telegram-transport.ts");
await import(root + "src/chat/discord/discord-transport.ts");
await import(root + "src/chat/console/console-transport.ts");
${extra}
console.log("imported");
`;
  const child = (extra = "") => run(process.execPath, ["--import", "tsx", "--import", `data:text/javascript,${encodeURIComponent(REGISTER)}`, "--input-type=module", "-e", SCRIPT(extra)], { cwd: REPO_ROOT, timeout: 60_000 })
    .then(({ stdout, stderr }) => ({ stdout, stderr, code: 0 }), (e: { stdout?: string; stderr?: string; code?: number }) => ({ stdout: e.stdout ?? "", stderr: e.stderr ?? "", code: e.code ?? 1 }));

  it("importing the runtime, the commands and every transport loads none of it", async () => {
    const { stdout, stderr, code } = await child();
    expect(stderr).not.toContain("refused chart module");
    expect([code, stdout.trim()]).toEqual([0, "imported"]);
  }, 90_000);

  it("the guard bites: drawing a chart in the same process is refused", async () => {
    const draw = `const { renderEquityChart } = await import(root + "src/render/charts.ts");
await renderEquityChart({ points: [{ ts: 0, equity: 1 }, { ts: 1, equity: 2 }], title: "t" });`;
    const { stderr, code } = await child(draw);
    expect(code).not.toBe(0);
    expect(stderr).toContain("refused chart module");
  }, 90_000);
});
