import type { Server } from "node:http";
import type { Redis } from "ioredis";
import { COMMANDS } from "../commands";
import { computeSignalsJob } from "../jobs/compute-signals";
import { executeTradeJob } from "../jobs/execute-trade";
import { monitorPositionsJob } from "../jobs/monitor-positions";
import { pollMarketJob } from "../jobs/poll-market";
import { recalibrateModelJob } from "../jobs/recalibrate-model";
import { sendNotificationJob } from "../jobs/send-notification";
import type { App, AppSettings } from "./app/context";
import { createChatRouter } from "./chat/chat-router";
import type { ChatHandlers, ChatTransport } from "./chat/transport";
import type { MarketDataSource } from "./exchange/market-data";
import type { Logger } from "./log";
import { closeQueues, createQueues, QUEUE, upsertSchedulers, type Queues } from "./queue/queues";
import { startWorkers, type RunningWorkers, type WorkerSpec } from "./queue/workers";
import type { Db } from "./store/database";

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
  /** Web role: given the router and queues, returns a started HTTP server. */
  readonly startWeb?: (deps: { app: App; queues: Queues; router: ChatHandlers }) => Promise<Server>;
}

export interface Runtime {
  readonly app: App;
  readonly queues: Queues;
  readonly router: ChatHandlers;
  stop(): Promise<void>;
}

/**
 * Wires one process: the application context, the queues, and the roles asked for. Every role
 * shares one Redis (BullMQ) and one database, so roles may run in one process or many.
 */
export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { db, logger, roles } = options;
  const connection = options.redis;
  const queues = createQueues(connection, options.queuePrefix);
  const app: App = {
    db,
    logger,
    clock: options.clock ?? Date.now,
    settings: options.settings,
    enqueueExecution: async (proposalId) => {
      await queues[QUEUE.execution].add("execute", { proposalId }, { jobId: `execute-${proposalId}` });
    },
    notify: async (notice) => {
      await queues[QUEUE.notify].add(notice.kind, notice);
    },
    requestModelReview: async (reason) => {
      await queues[QUEUE.calibration].add("recalibrate", { reason });
    },
  };
  const router = createChatRouter(app, COMMANDS);
  const specs: WorkerSpec[] = [];
  if (roles.includes("worker")) {
    specs.push(
      { queue: QUEUE.poll, processor: pollMarketJob({ app, sources: options.sources, queues }) },
      { queue: QUEUE.signals, processor: computeSignalsJob({ app }) },
      { queue: QUEUE.execution, processor: executeTradeJob({ app }) },
      { queue: QUEUE.monitor, processor: monitorPositionsJob({ app }) },
      { queue: QUEUE.calibration, processor: recalibrateModelJob({ app }) },
    );
  }
  const started: ChatTransport[] = [];
  let workers: RunningWorkers | null = null;
  let server: Server | null = null;
  const stop = async (): Promise<void> => {
    // Order matters: stop taking work, let active jobs finish, then close connections.
    await workers?.close();
    await Promise.allSettled(started.map((t) => t.stop()));
    if (server) await new Promise<void>((resolve) => server?.close(() => resolve()));
    await closeQueues(queues);
  };
  try {
    if (roles.includes("bot")) {
      for (const transport of options.transports) {
        await transport.start(router, COMMANDS);
        started.push(transport);
        logger.info({ platform: transport.platform }, "chat connected");
      }
      specs.push({ queue: QUEUE.notify, processor: sendNotificationJob({ app, transports: started }) });
    }
    workers = startWorkers(specs, { connection, prefix: options.queuePrefix, logger });
    if (roles.includes("worker") && options.schedule) {
      await upsertSchedulers(queues, { pollEveryMs: options.settings.pollIntervalMinutes * 60_000, monitorEveryMs: 60_000 });
      // A first poll now, rather than one interval after a restart; a brand-new scheduler fires at once by itself.
      const poll = queues[QUEUE.poll];
      const due = [...(await poll.getJobs(["waiting", "active", "prioritized"])),
        ...(await poll.getJobs(["delayed"])).filter((job) => job.timestamp + (job.opts.delay ?? 0) - Date.now() < 60_000)];
      if (due.length === 0) await poll.add("poll", { reason: "startup" }, { jobId: `startup-${Date.now()}` });
    }
    if (roles.includes("web") && options.startWeb) server = await options.startWeb({ app, queues, router });
  } catch (error) {
    await stop();
    throw error;
  }
  return { app, queues, router, stop };
}
