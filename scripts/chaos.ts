/**
 * `npm run chaos [-- --approvals N --seconds S --seed X --concurrency C --quick]`
 *
 * Crash-and-Redis-fault soak of the approval → fill → card path, local only. It starts its own
 * redis-server on a free 127.0.0.1 port (no persistence: a restart loses everything) and a temp
 * SQLite file, then runs N approvals through the real runtime (worker + bot roles, BullMQ, the
 * paper broker). Every approval gets:
 *
 * - a random crash point on its path (after-approval-commit, after-order-submit, after-fill-commit,
 *   after-card-send). When it is reached, the process "dies": from that instant its database
 *   client and its chat transport refuse every call (a fenced App cannot write anything more, as a
 *   SIGKILLed process cannot), the crash point throws a SimulatedCrash (an UnrecoverableError, so
 *   BullMQ does not retry it and the worker wrapper leaves the outbox untouched), the runtime is
 *   stopped and a NEW runtime (new Prisma client, new Redis connection, new workers, new
 *   reconciler, new App) is started on the same database file and Redis, as a restarted process.
 * - a random Redis fault at a random moment of its path: FLUSHALL, a restart (SIGKILL and start
 *   again on the same port, all data lost) or a dropped connection (CLIENT KILL TYPE normal: every
 *   client connection, blocking ones included, is cut mid-command while the data survives — a
 *   network blip, a proxy or load balancer restart, a failover to a replica that had everything).
 *
 * After each approval it waits (bounded) until the trade settled, its intents are done and its
 * cards show its version; at the end it checks duplicate orders, lost intents and cards not in
 * their true state, and exits non-zero unless all are 0.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { UnrecoverableError } from "bullmq";
import Decimal from "decimal.js";
import { Redis } from "ioredis";
import pino from "pino";
import type { AppSettings } from "../src/app/context";
import { redisAnswers } from "../src/queue/redis";
import { settingsFromConfig } from "../src/app/settings-from-config";
import { loadConfig } from "../src/config";
import { newProposalId } from "../src/app/compute-signals";
import { approveProposal } from "../src/app/decide-proposal";
import type { ChatTransport, MessageRef, OutgoingMessage } from "../src/chat/transport";
import { renderProposal } from "../src/chat/render/proposal-card";
import { setCrashHandler, type CrashPoint } from "../src/crash-points";
import { seededRandom } from "../src/core/random";
import { entryClientOrderId } from "../src/core/trading/orders";
import { startRuntime, type Runtime } from "../src/runtime";
import { openDatabase, type Db } from "../src/store/database";
import { loadTrade, insertProposal } from "../src/store/trade-repo";

// ---------------------------------------------------------------------------------------------
// Options

interface Options {
  approvals: number;
  seconds: number;
  seed: number;
  concurrency: number;
  faultWindowMs: number;
  settleMs: number;
  fence: boolean;
  quick: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    if (i >= 0) return argv[i + 1];
    const eq = argv.find((a) => a.startsWith(`--${name}=`));
    return eq?.slice(name.length + 3);
  };
  const int = (name: string, fallback: number): number => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got ${raw}`);
    return Math.floor(n);
  };
  const quick = argv.includes("--quick");
  return {
    quick,
    approvals: int("approvals", quick ? 50 : 1000),
    seconds: int("seconds", 900),
    seed: int("seed", 20_260_105),
    concurrency: Math.max(1, int("concurrency", 4)),
    faultWindowMs: int("fault-window-ms", 400),
    settleMs: int("settle-ms", 30_000),
    // --no-fence: a crashed process keeps running its catch/finally code (diagnostics only).
    fence: !argv.includes("--no-fence"),
  };
}

// ---------------------------------------------------------------------------------------------
// The simulated crash

/** What a crash point throws; also what every call of a dead process's db/chat throws. */
class SimulatedCrash extends UnrecoverableError {
  constructor(message: string) {
    super(message);
    this.name = "SimulatedCrash";
  }
}
const isCrash = (error: unknown): boolean => error instanceof Error && error.name === "SimulatedCrash";

// after-card-send is not drawn: Telegram's sendMessage has no idempotency key, so a crash between
// a chat accepting a card and the bot recording its id can leave one stale copy. That window is
// the chat layer's (see README, "After a crash"); such a copy is adopted and updated when pressed.
const PATH_POINTS = ["after-approval-commit", "after-order-submit", "after-fill-commit"] as const satisfies readonly CrashPoint[];
type PathPoint = (typeof PATH_POINTS)[number];
const FAULTS = ["flushall", "restart", "drop"] as const;
type Fault = (typeof FAULTS)[number];

// ---------------------------------------------------------------------------------------------
// The private Redis

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

class PrivateRedis {
  private child: ChildProcess | null = null;
  constructor(readonly port: number, private readonly dir: string) {
    // Whatever happens to this run, the private redis-server does not outlive it.
    process.on("exit", () => this.child?.kill("SIGKILL"));
  }
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn("redis-server", [
      "--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no",
      "--dir", this.dir, "--logfile", path.join(this.dir, "redis.log"),
    ], { stdio: "ignore" });
    this.child = child;
    for (let attempt = 0; attempt < 100; attempt += 1) {
      if (child.exitCode !== null) break;
      if (await this.answers()) return;
      await sleep(20);
    }
    throw new Error(`redis-server did not start on port ${this.port}; see ${path.join(this.dir, "redis.log")}`);
  }

  private answers(): Promise<boolean> {
    return redisAnswers(this.url, 300);
  }

  /** SIGKILL: no persistence configured, so everything in it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child === null || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
  }
}

// ---------------------------------------------------------------------------------------------
// The chat platform (survives restarts, as Telegram does) and a per-process transport on it

interface RecordedMessage {
  readonly ref: MessageRef;
  text: string;
  buttons: number;
  edits: number;
}

class ChatPlatform {
  readonly messages = new Map<string, RecordedMessage>();
  private next = 1;
  post(message: OutgoingMessage): MessageRef {
    const ref: MessageRef = { platform: "console", chatId: "chaos", messageId: String(this.next++) };
    this.messages.set(ref.messageId, { ref, text: message.text, buttons: message.buttons?.length ?? 0, edits: 0 });
    return ref;
  }
  edit(ref: MessageRef, message: OutgoingMessage): void {
    const found = this.messages.get(ref.messageId);
    if (found === undefined) throw new Error(`message ${ref.messageId} does not exist`);
    found.text = message.text;
    found.buttons = message.buttons?.length ?? 0;
    found.edits += 1;
  }
}

class RecordingTransport implements ChatTransport {
  readonly platform = "console" as const;
  constructor(private readonly chat: ChatPlatform, private readonly alive: () => boolean) {}
  start(): Promise<void> {
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
  broadcast(message: OutgoingMessage): Promise<MessageRef[]> {
    if (!this.alive()) return Promise.reject(new SimulatedCrash("the process is dead (chat)"));
    return Promise.resolve([this.chat.post(message)]);
  }
  edit(ref: MessageRef, message: OutgoingMessage): Promise<void> {
    if (!this.alive()) return Promise.reject(new SimulatedCrash("the process is dead (chat)"));
    this.chat.edit(ref, message);
    return Promise.resolve();
  }
}

// ---------------------------------------------------------------------------------------------
// One simulated process

interface Proc {
  readonly n: number;
  dead: boolean;
  readonly raw: Db;
  readonly redis: Redis;
  runtime: Runtime | null;
}

function settings(): AppSettings {
  // The defaults a user gets, on one venue and symbol, with equity large enough never to run out.
  return { ...settingsFromConfig(loadConfig({})), symbols: ["MNT/USDT:USDT"], venues: ["bybit"], tradingVenue: "bybit", startingEquity: 10_000_000 };
}

/** Every query of a dead process fails, before or after it runs: nothing it does lands once it died. */
function fenced(raw: Db, proc: () => Proc): Db {
  const extended = raw.$extends({
    query: {
      async $allOperations({ args, query }) {
        if (proc().dead) throw new SimulatedCrash("the process is dead (db)");
        const result: unknown = await query(args);
        if (proc().dead) throw new SimulatedCrash("the process is dead (db)");
        return result;
      },
    },
  });
  return extended as unknown as Db;
}

// ---------------------------------------------------------------------------------------------

interface Token {
  readonly approval: number;
  readonly point: PathPoint;
  hit: boolean;
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const random = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const started = Date.now();
  const deadline = started + options.seconds * 1000;
  const dir = mkdtempSync(path.join(tmpdir(), "perpbot-chaos-"));
  const dbFile = path.join(dir, "chaos.db");
  const logFile = path.join(dir, "perpbot.log");
  const logger = pino({ level: process.env.CHAOS_LOG_LEVEL ?? "warn" }, pino.destination({ dest: logFile, sync: false }));
  const redisServer = new PrivateRedis(await freePort(), dir);
  await redisServer.start();
  console.log(`chaos: seed ${options.seed}, ${options.approvals} approvals (cap ${options.seconds} s), ${options.concurrency} at a time, ` +
    `crash points ${PATH_POINTS.join("/")}, Redis faults ${FAULTS.join("/")} within ${options.faultWindowMs} ms of each approval's start` +
    `${options.fence ? "" : " — UNFENCED (a crashed process keeps running its error paths)"}`);
  console.log(`chaos: private redis-server on 127.0.0.1:${redisServer.port} (no persistence), database ${dbFile}, log ${logFile}`);

  const observer = await openDatabase(`file:${dbFile}`);
  const admin = new Redis(redisServer.url, { maxRetriesPerRequest: null, retryStrategy: () => 20 });
  admin.on("error", () => undefined);
  const chat = new ChatPlatform();
  const context = new AsyncLocalStorage<Proc>();
  const appSettings = settings();

  const crashes = new Map<string, number>(PATH_POINTS.map((p) => [p, 0]));
  const unreached = new Map<string, number>(PATH_POINTS.map((p) => [p, 0]));
  const faults = new Map<string, number>(FAULTS.map((f) => [f, 0]));
  let zombieCalls = 0;
  let restarts = 0;
  let slowStops = 0;
  const tokens: Token[] = [];
  const restartMs: number[] = [];

  let generation = 0;
  let current: Proc;
  let restarting: Promise<void> | null = null;

  async function startProc(): Promise<Proc> {
    generation += 1;
    const raw = await openDatabase(`file:${dbFile}`);
    const redis = new Redis(redisServer.url, { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(times * 20, 200) });
    redis.on("error", () => undefined);
    const proc: Proc = { n: generation, dead: false, raw, redis, runtime: null };
    const db = options.fence ? fenced(raw, () => proc) : raw;
    const transport = new RecordingTransport(chat, () => !options.fence || !proc.dead);
    proc.runtime = await context.run(proc, () => startRuntime({
      roles: ["worker", "bot"], db, logger, settings: appSettings, redis, queuePrefix: "chaos", sources: [], transports: [transport], schedule: false,
      reconcileIntervalMs: 150, reconcileGraceMs: 50, lock: { lockDuration: 2000, stalledInterval: 500 },
    }));
    return proc;
  }

  /** The process dies (already marked dead); a new one starts on the same database and Redis. */
  function restart(dead: Proc): Promise<void> {
    if (restarting) return restarting;
    restarting = (async () => {
      restarts += 1;
      const r0 = Date.now();
      const stopping = dead.runtime?.stop() ?? Promise.resolve();
      const stopped = await Promise.race([stopping.then(() => true, () => true), sleep(15_000).then(() => false)]);
      if (!stopped) slowStops += 1;
      dead.redis.disconnect();
      await dead.raw.$disconnect().catch(() => undefined);
      current = await startProc();
      restartMs.push(Date.now() - r0);
    })().finally(() => { restarting = null; });
    return restarting;
  }

  setCrashHandler((point) => {
    const proc = context.getStore() ?? current;
    if (proc.dead || proc !== current) {
      zombieCalls += 1;
      throw new SimulatedCrash(`crash point ${point} reached by a dead process`);
    }
    const token = tokens.find((t) => !t.hit && t.point === point);
    if (token === undefined) return;
    token.hit = true;
    crashes.set(point, (crashes.get(point) ?? 0) + 1);
    proc.dead = true;
    void restart(proc);
    throw new SimulatedCrash(`simulated crash at ${point}`);
  });

  let faultChain: Promise<void> = Promise.resolve();
  function injectFault(kind: Fault): Promise<void> {
    faultChain = faultChain.then(async () => {
      faults.set(kind, (faults.get(kind) ?? 0) + 1);
      if (kind === "flushall") await admin.flushall();
      else if (kind === "drop") await admin.call("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");
      else {
        await redisServer.kill();
        await redisServer.start();
      }
    }).catch((error: unknown) => {
      console.error(`chaos: fault ${kind} could not be injected: ${error instanceof Error ? error.message : String(error)}`);
    });
    return faultChain;
  }

  async function live(): Promise<Proc> {
    for (;;) {
      if (restarting) await restarting;
      if (!current.dead) return current;
      await sleep(5);
    }
  }

  current = await startProc();

  const settleTimeouts: string[] = [];
  const pathMs: number[] = [];
  let run = 0;
  let next = 0;
  let stoppedEarly = false;

  async function settled(id: string): Promise<boolean> {
    const proposal = await observer.proposal.findUnique({ where: { id }, select: { status: true, version: true } });
    if (proposal === null || !["open", "failed"].includes(proposal.status)) return false;
    const pending = await observer.intent.count({ where: { status: "pending", payloadJson: { contains: id } } });
    if (pending > 0) return false;
    const messages = await observer.chatMessage.findMany({ where: { proposalId: id }, select: { version: true } });
    return messages.length > 0 && messages.every((m) => m.version === proposal.version);
  }

  async function oneApproval(index: number, slot: number): Promise<void> {
    const point = pick(PATH_POINTS);
    const fault = pick(FAULTS);
    const faultAt = Math.floor(random() * options.faultWindowMs);
    const approveDelay = Math.floor(random() * 40);
    const token: Token = { approval: index, point, hit: false };
    tokens.push(token);
    const t0 = Date.now();
    const symbol = `C${slot}/USDT:USDT`;
    const id = newProposalId();
    // The signal job's part: a quote and a pending proposal with its card intent, then the fast path.
    for (;;) {
      const proc = await live();
      try {
        await context.run(proc, () => seed(proc, id, symbol));
        break;
      } catch (error) {
        if (!isCrash(error)) throw error;
        if ((await observer.proposal.count({ where: { id } })) > 0) break;
      }
    }
    const faultDone = sleep(faultAt).then(() => injectFault(fault));
    await sleep(approveDelay);
    // A person presses Approve; if the process was dead at that moment, they press again.
    for (;;) {
      const proc = await live();
      try {
        await context.run(proc, () => approveProposal(proc.runtime!.app, id, { platform: "telegram", userId: "111", displayName: "chaos" }));
        break;
      } catch (error) {
        if (!isCrash(error)) throw error;
        if (restarting) await restarting;
        const row = await observer.proposal.findUnique({ where: { id }, select: { status: true } });
        if (row?.status !== "pending") break;
      }
    }
    await faultDone;
    const until = Date.now() + options.settleMs;
    let ok = false;
    while (Date.now() < until) {
      if (await settled(id)) {
        ok = true;
        break;
      }
      await sleep(20);
    }
    if (!ok) settleTimeouts.push(id);
    pathMs.push(Date.now() - t0);
    if (!token.hit) {
      unreached.set(point, (unreached.get(point) ?? 0) + 1);
      tokens.splice(tokens.indexOf(token), 1);
    } else {
      tokens.splice(tokens.indexOf(token), 1);
    }
    run += 1;
    if (run % 50 === 0) console.log(`chaos: ${run} approvals, ${((Date.now() - started) / 1000).toFixed(0)} s, ${restarts} restarts`);
  }

  async function seed(proc: Proc, id: string, symbol: string): Promise<void> {
    const app = proc.runtime!.app;
    const now = app.clock();
    const price = 0.6;
    await app.db.marketSnapshot.create({
      data: {
        venue: "bybit", symbol, ts: new Date(now), fundingRate: 0.0001, nextFundingTs: new Date(Math.floor(now / 28_800_000) * 28_800_000 + 28_800_000),
        fundingIntervalHours: 8, markPrice: price, lastPrice: price, bid: price * 0.9999, ask: price * 1.0001, baseVolume24h: 1e6, quoteVolume24h: 1e6 * price,
        bookJson: JSON.stringify({ bids: [[price * 0.9999, 1e6]], asks: [[price * 1.0001, 1e6]] }),
      },
    });
    const sign = -1; // short, as the fixtures
    const ids = await app.db.$transaction((tx) => insertProposal(tx, {
      id, symbol, venue: "bybit", side: "short", signalId: null, refPrice: price, quantity: new Decimal(5000).div(price).toDecimalPlaces(3, Decimal.ROUND_DOWN),
      notionalUsd: new Decimal(5000), marginUsd: new Decimal(1000), leverage: 5, stopPrice: price * (1 - sign * 0.02), takeProfitPrice: price * (1 + sign * 0.03),
      liquidationPrice: price * (1 - sign * 0.195), expectedFeesUsd: new Decimal("7.5"), expectedFundingUsd: new Decimal(0), horizonHours: 8,
      createdAt: now, expiresAt: now + 30 * 60_000, autoExecute: false,
    }, [{ kind: "card", proposalId: id }], now));
    await app.dispatch(ids);
  }

  const workers = Array.from({ length: options.concurrency }, async (_, slot) => {
    for (;;) {
      if (next >= options.approvals) return;
      if (Date.now() >= deadline) {
        stoppedEarly = true;
        return;
      }
      const index = next;
      next += 1;
      await oneApproval(index, slot);
    }
  });
  let fatal: unknown = null;
  try {
    await Promise.all(workers);
  } catch (error) {
    fatal = error;
  }
  // Leave the last process running a moment so whatever is still in flight can settle.
  const finalUntil = Date.now() + options.settleMs;
  while (Date.now() < finalUntil) {
    const [pendingIntents, midway] = await Promise.all([
      observer.intent.count({ where: { status: "pending" } }),
      observer.proposal.count({ where: { status: { in: ["approved", "submitting", "unknown"] } } }),
    ]);
    if (pendingIntents === 0 && midway === 0) break;
    await sleep(100);
  }
  await sleep(500);
  const elapsed = (Date.now() - started) / 1000;
  const inFlight = restarting as Promise<void> | null; // assigned by the crash handler, which TS cannot see
  if (inFlight) await inFlight;
  await current.runtime?.stop();
  current.redis.disconnect();
  setCrashHandler(null);

  // ---- the verdict, from the database and the chat as they are now
  const proposals = await observer.proposal.findMany({ select: { id: true, status: true, version: true } });
  let duplicateOrders = 0;
  let unbookedVenueOrders = 0;
  let lostIntents = 0;
  let staleCards = 0;
  let staleOnlyByDuplicatePost = 0;
  let duplicatePosts = 0;
  const details: string[] = [];
  const paper = new Map((await observer.paperOrder.findMany()).map((p) => [p.clientOrderId, p]));
  const recorded = new Map<string, number>();
  for (const m of await observer.chatMessage.findMany()) recorded.set(m.messageId, m.version);
  const messagesByProposal = new Map<string, RecordedMessage[]>();
  for (const m of chat.messages.values()) {
    const match = /proposal (p[0-9a-f]+)/.exec(m.text);
    const key = match?.[1] ?? "?";
    messagesByProposal.set(key, [...(messagesByProposal.get(key) ?? []), m]);
  }
  for (const p of proposals) {
    const entries = await observer.order.findMany({ where: { proposalId: p.id, purpose: "entry" }, include: { fills: true } });
    const venue = [...paper.values()].filter((o) => o.clientOrderId.startsWith(`${p.id}-`) && !o.reduceOnly);
    const venueQty = venue.reduce((s, o) => s.plus(o.quantity), new Decimal(0));
    let dup = entries.length > 1 || venue.length > 1;
    for (const order of entries) {
      const filled = order.fills.reduce((s, f) => s.plus(f.quantity), new Decimal(0));
      // The paper venue reports one execution per order: more than one fill, or more booked than it filled, is a double booking.
      if (order.fills.length > venue.length || filled.gt(venueQty) || !filled.eq(order.filledQty)) dup = true;
    }
    if (dup) {
      duplicateOrders += 1;
      details.push(`duplicate order: ${p.id} (${entries.length} entry rows, ${venue.length} venue orders, fills ${entries.map((e) => e.fills.length).join("/")})`);
    }
    const venueOrder = paper.get(entryClientOrderId(p.id));
    if (venueOrder !== undefined && p.status !== "open") {
      unbookedVenueOrders += 1;
      details.push(`venue order not booked: ${p.id} is ${p.status} while the paper venue filled ${venueOrder.quantity}`);
    }
    if (["approved", "submitting", "unknown", "pending"].includes(p.status)) {
      lostIntents += 1;
      details.push(`trade left half-way: ${p.id} is ${p.status}`);
    }
    const stored = await loadTrade(observer, p.id);
    const truth = stored === null ? null : renderProposal({ trade: stored.state, signal: null, now: Date.now(), mode: "paper" });
    const rows = await observer.chatMessage.findMany({ where: { proposalId: p.id } });
    const posted = messagesByProposal.get(p.id) ?? [];
    let stale = rows.length === 0 || rows.some((r) => r.version < p.version);
    let staleRecorded = stale;
    for (const m of posted) {
      if (!recorded.has(m.ref.messageId)) duplicatePosts += 1;
      if (truth !== null && (m.text !== truth.text || m.buttons !== (truth.buttons?.length ?? 0))) {
        stale = true;
        if (recorded.has(m.ref.messageId)) staleRecorded = true;
      }
    }
    if (stale) {
      staleCards += 1;
      if (!staleRecorded) staleOnlyByDuplicatePost += 1;
      const texts = posted.map((m) => `#${m.ref.messageId}${recorded.has(m.ref.messageId) ? ` v${recorded.get(m.ref.messageId)}` : " (unrecorded)"}: ${m.text.split("\n").at(-1) ?? ""}`);
      details.push(`card not true: ${p.id} (${p.status} v${p.version}) ${texts.join(" | ") || "never posted"}`);
    }
  }
  const pendingIntents = await observer.intent.findMany({ where: { status: "pending" }, select: { id: true } });
  const failedIntents = await observer.intent.findMany({ where: { status: "failed" }, select: { id: true, lastError: true } });
  lostIntents += pendingIntents.length;
  for (const i of pendingIntents.slice(0, 20)) details.push(`intent still pending: ${i.id}`);
  for (const i of failedIntents.slice(0, 20)) details.push(`intent failed: ${i.id} (${i.lastError ?? ""})`);
  const statuses = new Map<string, number>();
  for (const p of proposals) statuses.set(p.status, (statuses.get(p.status) ?? 0) + 1);
  pathMs.sort((a, b) => a - b);
  restartMs.sort((a, b) => a - b);
  const rq = (f: number): number => restartMs[Math.min(restartMs.length - 1, Math.floor(f * restartMs.length))] ?? 0;
  const q = (f: number): number => pathMs[Math.min(pathMs.length - 1, Math.floor(f * pathMs.length))] ?? 0;

  console.log("");
  console.log(`approvals run: ${run}${stoppedEarly ? ` (stopped early: the --seconds cap of ${options.seconds} s was reached before ${options.approvals})` : ""}`);
  console.log(`crash points hit: ${PATH_POINTS.map((p) => `${p} ${crashes.get(p) ?? 0}`).join(", ")} (armed but not reached before settling: ${PATH_POINTS.map((p) => `${p} ${unreached.get(p) ?? 0}`).join(", ")}); restarts ${restarts}, calls refused to dead processes ${zombieCalls}, stops > 15 s ${slowStops}`);
  console.log(`redis faults: ${FAULTS.map((f) => `${f} ${faults.get(f) ?? 0}`).join(", ")}`);
  console.log(`elapsed: ${elapsed.toFixed(1)} s (per approval path p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${pathMs.at(-1) ?? 0} ms; settle timeouts ${settleTimeouts.length}; process restart (stop + start) p50 ${rq(0.5)} ms, p99 ${rq(0.99)} ms)`);
  console.log(`trades: ${[...statuses].map(([s, n]) => `${s} ${n}`).join(", ")}; intents failed ${failedIntents.length}; duplicate card posts (a second message after after-card-send) ${duplicatePosts}`);
  console.log(`venue orders not booked in the journal: ${unbookedVenueOrders}`);
  console.log(`duplicate orders: ${duplicateOrders}`);
  console.log(`lost intents: ${lostIntents}`);
  console.log(`cards not in their true state: ${staleCards}${staleCards > 0 ? ` (${staleOnlyByDuplicatePost} of them only because of an unrecorded duplicate post left showing an old state)` : ""}`);
  if (details.length > 0) {
    console.log(`\nfirst findings (of ${details.length}):`);
    for (const line of details.slice(0, 30)) console.log(`  ${line}`);
  }
  if (fatal !== null) console.error("chaos: the run itself failed:", fatal);

  await observer.$disconnect();
  admin.disconnect();
  await redisServer.kill();
  logger.flush();
  if (process.env.CHAOS_KEEP !== "1" && duplicateOrders + lostIntents + staleCards + unbookedVenueOrders === 0 && fatal === null) rmSync(dir, { recursive: true, force: true });
  else console.log(`(kept ${dir} for inspection)`);
  return fatal !== null || duplicateOrders + lostIntents + staleCards + unbookedVenueOrders > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
