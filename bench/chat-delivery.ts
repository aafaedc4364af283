import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Redis } from "ioredis";
import pino from "pino";
import { Telegraf } from "telegraf";
import { encodeButton } from "../src/chat/callback-codec";
import { TelegramTransport } from "../src/chat/telegram/telegram-transport";
import { redisAnswers } from "../src/queue/redis";
import { startRuntime, type Runtime } from "../src/runtime";
import { openDatabase, type Db } from "../src/store/database";
import { writeIntents } from "../src/store/outbox";
import { TelegramServer, type RecordedEdit, type RecordedMessage } from "../test/stand-ins/telegram-server";
import { distribution, removePrefix, seedProposal, settings, type Distribution } from "./approve-fill";

/**
 * Issue 9 point 9, chat delivery through the real bot role (BullMQ notify worker, SQLite, telegraf)
 * against the Telegram stand-in, with Telegram's real pacing (1 message/s per chat, 20/min per group):
 * - alert latency: from the card intent committed and dispatched ("data complete") to the message
 *   stored by the stand-in, in each of 5 chats; one card at a time on an idle bot, then bursts of
 *   100 alerts (a card first, 99 text alerts behind it: the texts are merged per chat, not dropped);
 * - button acknowledgement: from the press (the update created at the stand-in) to the answer
 *   arriving there ("Approving…", given from memory before the decision starts), and from the press
 *   to the pressed card showing the outcome ("Approved by …", the decision's card intent). Each
 *   press is made on the proposal's own card, posted to the 5 chats beforehand as in production, so
 *   the decision's work behind it is what a real press causes (the approval, 5 card edits);
 *   presses come 20 ms after the previous answer, so that work overlaps the next press; and, as
 *   the acknowledgement alone, presses made once the previous press's card shows its outcome;
 * - baseline from the same run: telegraf's sendMessage straight to the stand-in, no queue, no db.
 */

export interface ChatDeliveryResult {
  readonly chats: number;
  readonly rawSend: Distribution;
  readonly idleCard: Distribution;
  readonly idleCards: number;
  readonly burstFirstCard: Distribution;
  readonly burstAll: Distribution;
  readonly bursts: number;
  readonly messagesPerChatPerBurst: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly ack: Distribution;
  readonly ackAlone: Distribution;
  readonly outcomeOnCard: Distribution;
  readonly presses: number;
}

/**
 * Five private chats: paced at 1 message/s each. Groups would add Telegram's 20 a minute, which this
 * run's ~30 messages per chat exceed by design of the run, not of a desk's day (that window is
 * tested in test/integration/notify-lanes.test.ts).
 */
const CHATS = [5_000_001, 5_000_002, 5_000_003, 5_000_004, 5_000_005];
const ADMIN = { id: 111, first_name: "Bench" };
const BURST = 100;
const silent = pino({ level: process.env.BENCH_LOG ?? "silent" }, pino.destination(2));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Arrival times per (chat, marker) where a marker is a proposal id or an alert's text. */
class Arrivals {
  private readonly seen = new Map<string, number[]>();
  constructor(server: TelegramServer) {
    server.onMessage = (m: RecordedMessage): void => {
      const at = performance.now();
      // A merged message carries several alerts, one per paragraph; a card names its proposal.
      const markers = /proposal (p[0-9a-f]+)/.exec(m.text)?.[1] ?? null;
      for (const key of markers === null ? m.text.split("\n\n") : [markers]) {
        const k = `${m.chatId}|${key}`;
        this.seen.set(k, [...(this.seen.get(k) ?? []), at]);
      }
    };
  }
  at(chatId: number, marker: string): number[] { return this.seen.get(`${chatId}|${marker}`) ?? []; }
  async all(markers: readonly string[], timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (markers.every((m) => CHATS.every((c) => this.at(c, m).length > 0))) return;
      await sleep(5);
    }
  }
}

async function rawSends(server: TelegramServer, count: number): Promise<number[]> {
  const client = new Telegraf(server.token, { telegram: { apiRoot: server.apiRoot } }).telegram;
  const samples: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const t0 = performance.now();
    await client.sendMessage(9_000_000 + (i % 50), `raw ${i}`);
    samples.push(performance.now() - t0);
  }
  return samples.slice(Math.min(10, count / 10));
}

async function startBot(db: Db, server: TelegramServer, redis: Redis, prefix: string): Promise<Runtime> {
  const transport = new TelegramTransport({ token: server.token, apiRoot: server.apiRoot, chatIds: CHATS.map(String), logger: silent });
  const runtime = await startRuntime({
    roles: ["bot"], db, logger: silent, settings: { ...settings(), chatRoles: { telegram: { [String(ADMIN.id)]: "admin" }, discord: {} } },
    redis, queuePrefix: prefix, sources: [], transports: [transport], schedule: false,
  });
  await runtime.botReady();
  return runtime;
}

/** `count` proposals with their cards in every chat (at Telegram's pacing: about a second per card). */
async function postedCards(runtime: Runtime, db: Db, server: TelegramServer, arrivals: Arrivals, count: number): Promise<{ id: string; card: RecordedMessage }[]> {
  const app = runtime.app;
  const ids: string[] = [];
  // One a second, as signals come: all at once, the last would wait a minute in each chat's lane
  // and its job be retried with backoff meanwhile.
  for (let i = 0; i < count; i += 1) {
    const id = await seedProposal(db, app.clock(), `K${i}${randomBytes(2).toString("hex")}/USDT:USDT`);
    await app.dispatch(await writeIntents(app.db, [{ kind: "card", proposalId: id }], app.clock()));
    ids.push(id);
    await sleep(1_050);
  }
  await arrivals.all(ids, 30_000);
  const chat = CHATS[0] ?? 0;
  return ids.map((id) => {
    const card = server.sentMessages.find((m) => m.chatId === chat && m.text.includes(`proposal ${id}`));
    if (card === undefined) throw new Error(`the card of ${id} did not reach chat ${chat}`);
    return { id, card };
  });
}

/**
 * Approve presses, each on its proposal's own card: press → answer, and press → that card showing
 * who approved. `overlapping`: the next press 20 ms after the answer, while this one's decision and
 * card edits still run; else once its card shows the outcome and the edits to the other chats are
 * done (the acknowledgement alone, nothing else running).
 */
async function presses(server: TelegramServer, cards: readonly { id: string; card: RecordedMessage }[], overlapping: boolean): Promise<{ ack: number[]; outcome: number[] }> {
  const pressedAt = new Map<string, number>();
  const outcomeAt = new Map<string, number>();
  server.onEdit = (edit: RecordedEdit): void => {
    const key = `${edit.chatId}:${edit.messageId}`;
    if (pressedAt.has(key) && !outcomeAt.has(key) && edit.text.includes("Approved by")) outcomeAt.set(key, performance.now());
  };
  const ack: number[] = [];
  for (const { id, card } of cards) {
    const before = server.callbackAnswers.length;
    pressedAt.set(`${card.chatId}:${card.messageId}`, performance.now());
    server.pressButton(ADMIN, card.chatId, card.messageId, encodeButton({ kind: "approve", proposalId: id }));
    const answer = await server.waitFor(() => server.callbackAnswers[before], 5_000);
    ack.push(answer.latencyMs);
    if (!overlapping) {
      const edited = (): number => server.edits.filter((e) => e.text.includes(`proposal ${id}`) && e.text.includes("Approved by")).length;
      await server.waitFor(() => edited() >= CHATS.length, 10_000).catch(() => undefined);
      await sleep(100);
    }
    await sleep(20); // overlapping: the next press comes while this one's decision and card edits are still under way
  }
  await server.waitFor(() => outcomeAt.size === cards.length, 10_000).catch(() => undefined);
  server.onEdit = undefined;
  const outcome = cards.map(({ card }) => (outcomeAt.get(`${card.chatId}:${card.messageId}`) ?? Number.NaN) - (pressedAt.get(`${card.chatId}:${card.messageId}`) ?? Number.NaN));
  const warm = Math.min(5, cards.length / 10);
  return { ack: ack.slice(warm), outcome: outcome.slice(warm) };
}

export async function benchChatDelivery(options: { quick: boolean; redisUrl: string }): Promise<ChatDeliveryResult | { skipped: string }> {
  if (!(await redisAnswers(options.redisUrl))) return { skipped: `no Redis answers at ${options.redisUrl}` };
  const dir = mkdtempSync(path.join(tmpdir(), "perpbot-bench-chat-"));
  const prefix = `bench${randomBytes(5).toString("hex")}`;
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const server = new TelegramServer();
  let db: Db | null = null;
  let runtime: Runtime | null = null;
  try {
    await server.start();
    db = await openDatabase(`file:${path.join(dir, "bench.db")}`, { sqliteThread: true }); // as the bot role opens it (src/main.ts)
    const rawSend = await rawSends(server, options.quick ? 50 : 300);
    runtime = await startBot(db, server, redis, prefix);
    const app = runtime.app;
    const arrivals = new Arrivals(server);
    const dispatchCard = async (id: string): Promise<number> => {
      const ids = await writeIntents(app.db, [{ kind: "card", proposalId: id }], app.clock());
      const t0 = performance.now();
      await app.dispatch(ids);
      return t0;
    };

    // One card at a time, each after the chats' pacing gap: the latency a lone alert sees.
    const idleCards = options.quick ? 4 : 12;
    const idle: number[] = [];
    for (let i = 0; i < idleCards; i += 1) {
      const id = await seedProposal(db, app.clock(), `I${i}/USDT:USDT`);
      const t0 = await dispatchCard(id);
      await arrivals.all([id], 10_000);
      if (i > 0) for (const chat of CHATS) idle.push((arrivals.at(chat, id)[0] ?? Number.NaN) - t0); // the first warms up
      await sleep(1_100);
    }

    // Bursts: a card, then 99 text alerts, dispatched at once.
    const bursts = options.quick ? 1 : 3;
    const firstCard: number[] = [];
    const all: number[] = [];
    const markers: string[] = [];
    let lost = 0;
    let duplicated = 0;
    const messagesBefore = server.sentMessages.length;
    for (let b = 0; b < bursts; b += 1) {
      const id = await seedProposal(db, app.clock(), `U${b}/USDT:USDT`);
      const texts = Array.from({ length: BURST - 1 }, (_, i) => `Funding alert ${b}.${i}: bybit pays in 30 min`);
      const cardIds = await writeIntents(app.db, [{ kind: "card", proposalId: id }], app.clock());
      const textIds = await writeIntents(app.db, texts.map((text, i) => ({ kind: "text" as const, key: `burst-${b}-${i}`, text })), app.clock());
      const t0 = performance.now();
      await app.dispatch([...cardIds, ...textIds]);
      await arrivals.all([id, ...texts], 30_000);
      for (const chat of CHATS) {
        firstCard.push((arrivals.at(chat, id)[0] ?? Number.NaN) - t0);
        for (const marker of [id, ...texts]) {
          const seen = arrivals.at(chat, marker);
          if (seen.length === 0) lost += 1;
          if (seen.length > 1) duplicated += 1;
          all.push((seen[0] ?? Number.NaN) - t0);
        }
      }
      markers.push(id, ...texts);
      await sleep(2_500);
    }
    const messagesPerChatPerBurst = (server.sentMessages.length - messagesBefore) / CHATS.length / bursts;

    // Button acknowledgement: each press on its proposal's own card, posted beforehand.
    const pressCount = options.quick ? 20 : 40;
    const cards = await postedCards(runtime, db, server, arrivals, pressCount * 2);
    await sleep(1_100);
    const pressed = await presses(server, cards.slice(0, pressCount), true);
    const alone = await presses(server, cards.slice(pressCount), false);
    await runtime.stop();
    runtime = null;

    return {
      chats: CHATS.length, rawSend: distribution(rawSend), idleCard: distribution(idle), idleCards: idleCards - 1,
      burstFirstCard: distribution(firstCard), burstAll: distribution(all), bursts, messagesPerChatPerBurst, lost, duplicated,
      ack: distribution(pressed.ack), ackAlone: distribution(alone.ack), outcomeOnCard: distribution(pressed.outcome), presses: pressed.ack.length,
    };
  } finally {
    await runtime?.stop().catch(() => undefined);
    await server.stop().catch(() => undefined);
    await removePrefix(redis, prefix);
    redis.disconnect();
    await db?.$disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}
