import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { Redis } from "ioredis";
import { COMMANDS } from "../commands";
import { computeSignalsJob } from "../jobs/compute-signals";
import { executeTradeJob } from "../jobs/execute-trade";
import { monitorPositionsJob } from "../jobs/monitor-positions";
import { pollMarketJob } from "../jobs/poll-market";
import { recalibrateModelJob } from "../jobs/recalibrate-model";
import { sendNotificationJob } from "../jobs/send-notification";
import { sendDigestJob } from "../jobs/send-digest";
import type { App, AppSettings } from "./app/context";
import { alertEventOf } from "./core/alert-events";
import { createChatRouter } from "./chat/chat-router";
import type { ChatHandlers, ChatTransport } from "./chat/transport";
import type { MarketDataSource } from "./exchange/market-data";
import type { Logger } from "./log";
import { closeQueues, createQueues, QUEUE, upsertSchedulers, type Queues, type SchedulePlan } from "./queue/queues";
import { createOutageLog } from "./queue/outage-log";
import { foldDatabaseOutage } from "./queue/outage-lines";
import { databaseAnswers } from "./store/database-probe";
import { createHealth, trackChat, type Health } from "./web/health";
import { startWorkers, type LockOptions, type RunningWorkers, type WorkerSpec } from "./queue/workers";
import { dispatchByIds } from "./queue/dispatcher";
import { startReconciler, type Reconciler } from "./queue/reconciler";
import { createPaperBroker } from "./exchange/paper-broker";
import type { Broker } from "./exchange/broker";
import { sendText } from "./app/send-text";
import { checkSymbols } from "./app/check-symbols";
import { writeIntents } from "./store/outbox";
import type { Db } from "./store/database";
import { syncChatUsers } from "./store/chat-users";
import { syncChats } from "./store/chat-settings";
import { startBotRole, type Backoff, type BotRole } from "./chat/bot-role";

export type Role = "web" | "worker" | "bot";
export const ALL_ROLES: readonly Role[] = ["web", "worker", "bot"];

export interface RuntimeOptions {
  readonly roles: readonly Role[];
  readonly db: Db;
  readonly logger: Logger;
  readonly settings: AppSettings;
  readonly redis: Redis;
  readonly queuePrefix: string;
  readonly clock?: () => number;
  /** Market data sources (worker role): ccxt venues live, the simulator in the demo. */
  readonly sources: readonly MarketDataSource[];
  /** Chat transports (bot role). Started here, stopped on shutdown. */
  readonly transports: readonly ChatTransport[];
  /** Job schedulers; the demo drives polls itself instead. */
  readonly schedule: boolean;
  /** Where orders go; the paper venue unless given. */
  readonly broker?: Broker;
  /** Milliseconds between reconciler passes (worker role), and its grace for fresh work. */
  readonly reconcileIntervalMs?: number;
  readonly reconcileGraceMs?: number;
  /** Job lock tuning (tests shorten it). */
  readonly lock?: LockOptions;
  /** Bot role: backoff between attempts to connect a chat platform (tests shorten it). */
  readonly botRetry?: Backoff;
  /**
   * Whether the database can do work again, asked every few seconds during a database outage and by
   * /health (src/store/database-probe.ts). Default: a trivial query and a no-op write through Prisma.
   */
  readonly databaseProbe?: () => Promise<boolean>;
  /** Web role: given the router, queues and health report, returns a started HTTP server. */
  readonly startWeb?: (deps: { app: App; queues: Queues; router: ChatHandlers; health: Health }) => Promise<Server>;
}

export interface Runtime {
  readonly app: App;
  readonly queues: Queues;
  readonly router: ChatHandlers;
  /** The worker role's reconciler (null in other roles): tests and the chaos runner trigger passes. */
  readonly reconciler: () => Reconciler | null;
  /** Resolves once every chat transport is connected and notices are being sent (bot role). */
  readonly botReady: () => Promise<void>;
  /** What GET /health reports for this process. */
  readonly health: Health;
  stop(): Promise<void>;
}

/**
 * Wires one process: the application context, the queues, and the roles asked for. Every role
 * shares one Redis (BullMQ) and one database, so roles may run in one process or many.
 */
export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { db, roles } = options;
  const connection = options.redis;
  const clock = options.clock ?? Date.now;
  // Every queue and worker holds its own Redis connections; their errors during an outage go to one
  // log that says when it started, that it lasts (once a minute) and when a PING got through again.
  const redisOutage = createOutageLog({ what: "Redis", logger: options.logger, clock: Date.now, probe: () => connection.ping().then(() => true) });
  // The same for the database: every job, retry and reconciler pass that hits the outage would log
  // its own error; the application's logger hands those lines to this log instead (outage-lines.ts).
  const databaseOutage = createOutageLog({ what: "database", logger: options.logger, clock: Date.now, probe: options.databaseProbe ?? databaseAnswers(db) });
  const logger = foldDatabaseOutage(options.logger, databaseOutage);
  const queues = createQueues(connection, options.queuePrefix, logger, redisOutage);
  const dispatch = (ids: readonly string[]): Promise<void> => dispatchByIds({ db, queues, logger, clock }, ids);
  const app: App = {
    db,
    logger,
    clock,
    settings: options.settings,
    broker: options.broker ?? createPaperBroker({ db, takerFeeBps: options.settings.takerFeeBps, slippageBps: options.settings.slippageBps, clock }),
    dispatch,
    notify: async (notice) => {
      if (notice.kind === "text") await sendText(app, `note-${randomUUID()}`, notice.text, alertEventOf(notice));
      else await dispatch(await writeIntents(db, [{ kind: "card", proposalId: notice.proposalId }], clock(), Date.now()));
    },
  };
  const router = createChatRouter(app, COMMANDS);
  // Each chat app's connection as the bot role sees it, for /health.
  const chatApps = options.transports.map((transport) => trackChat(transport, Date.now));
  const health = createHealth({
    app, roles, redis: redisOutage, database: databaseOutage,
    ...(roles.includes("bot") ? { chats: () => chatApps.map((c) => c.health()) } : {}),
  });
  const specs: WorkerSpec[] = [];
  if (roles.includes("worker")) {
    specs.push(
      { queue: QUEUE.poll, processor: pollMarketJob({ app, sources: options.sources, queues }) },
      { queue: QUEUE.signals, processor: computeSignalsJob({ app }) },
      { queue: QUEUE.execution, processor: executeTradeJob({ app }), maxStalledCount: 0 },
      { queue: QUEUE.monitor, processor: monitorPositionsJob({ app }) },
      { queue: QUEUE.calibration, processor: recalibrateModelJob({ app }) },
      { queue: QUEUE.digest, processor: sendDigestJob({ app }) },
    );
  }
  let bot: BotRole | null = null;
  let workers: RunningWorkers | null = null;
  let reconciler: Reconciler | null = null;
  let server: Server | null = null;
  const stop = async (): Promise<void> => {
    // Order matters: stop taking work, let active jobs finish, then close connections.
    await reconciler?.stop();
    await workers?.close();
    await bot?.stop();
    if (server) await new Promise<void>((resolve) => server?.close(() => resolve()));
    await closeQueues(queues);
    redisOutage.stop();
    databaseOutage.stop();
  };
  try {
    if (roles.includes("bot") || roles.includes("web")) {
      // The processes that answer chat (bot; web for the Telegram webhook) store the configured
      // roles: a worker started with a narrower environment must not wipe them.
      const changes = await syncChatUsers(db, options.settings.chatRoles, clock());
      if (changes.added + changes.changed + changes.removed > 0) logger.info(changes, "chat roles stored from the environment");
      // The alert chats of the platforms this process posts to, where their /settings are kept.
      const chats = await syncChats(db, options.transports.flatMap((t) => (t.chatIds === undefined ? [] : [{ platform: t.platform, chatIds: t.chatIds }])), clock());
      if (chats.added + chats.removed > 0) logger.info(chats, "alert chats stored from the environment");
    }
    if (roles.includes("bot")) {
      // In the background: a chat platform that is down must not stop the worker (stop-loss
      // checks) or the web role in the same process; each transport is retried until it connects.
      bot = startBotRole({
        transports: chatApps.map((c) => c.transport), router, commands: COMMANDS, logger,
        startNotify: (transports) => startWorkers([{ queue: QUEUE.notify, processor: sendNotificationJob({ app, transports }) }], {
          connection, prefix: options.queuePrefix, logger, db, clock, ...(options.lock ? { lock: options.lock } : {}), onStalled: () => reconciler?.kick(), outage: redisOutage, databaseOutage,
        }),
        ...(options.botRetry ? { backoff: options.botRetry } : {}),
      });
    }
    if (roles.includes("worker")) {
      // Before any poll: a symbol no venue lists stops the start here (ConfigError naming the venues);
      // a venue that could not be asked is asked again by each poll until it answers.
      await checkSymbols(app, options.sources);
    }
    workers = startWorkers(specs, {
      connection, prefix: options.queuePrefix, logger, db, clock, ...(options.lock ? { lock: options.lock } : {}), onStalled: () => reconciler?.kick(), outage: redisOutage, databaseOutage,
    });
    const digest = options.settings.digest;
    const schedule: SchedulePlan = { pollEveryMs: options.settings.pollIntervalMinutes * 60_000, monitorEveryMs: 60_000, ...(digest ? { digest } : {}) };
    if (roles.includes("worker")) {
      // At start and every interval: finish what a crash or a lost queue left behind.
      reconciler = startReconciler({
        app, queues, intervalMs: options.reconcileIntervalMs ?? 60_000, schedule: options.schedule ? schedule : null,
        ...(options.reconcileGraceMs !== undefined ? { graceMs: options.reconcileGraceMs } : {}),
      });
    }
    if (roles.includes("worker") && options.schedule) {
      await upsertSchedulers(queues, schedule);
      // A first poll now, rather than one interval after a restart; a brand-new scheduler fires at once by itself.
      const poll = queues[QUEUE.poll];
      const due = [...(await poll.getJobs(["waiting", "active", "prioritized"])),
        ...(await poll.getJobs(["delayed"])).filter((job) => job.timestamp + (job.opts.delay ?? 0) - Date.now() < 60_000)];
      if (due.length === 0) await poll.add("poll", { reason: "startup" }, { jobId: `startup-${Date.now()}` });
    }
    if (roles.includes("web") && options.startWeb) server = await options.startWeb({ app, queues, router, health });
  } catch (error) {
    await stop();
    throw error;
  }
  return { app, queues, router, stop, reconciler: () => reconciler, botReady: () => bot?.ready ?? Promise.resolve(), health };
}
