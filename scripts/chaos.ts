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
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import pino from "pino";
import { newProposalId } from "../src/app/compute-signals";
import { approveProposal } from "../src/app/decide-proposal";
import { setCrashHandler } from "../src/crash-points";
import { seededRandom } from "../src/core/random";
import { openDatabase } from "../src/store/database";
import { seedProposal, settled } from "./chaos/approval-steps";
import { check } from "./chaos/checks";
import { FAULTS, faultInjector } from "./chaos/faults";
import { freePort, PrivateRedis } from "./chaos/private-redis";
import { ChatPlatform } from "./chaos/recording-transport";
import { isCrash, PATH_POINTS, type Token } from "./chaos/simulated-crash";
import { settings, startProcesses, type Proc } from "./chaos/simulated-process";
import { sleep } from "./chaos/sleep";

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

  const unreached = new Map<string, number>(PATH_POINTS.map((p) => [p, 0]));
  const tokens: Token[] = [];
  const faults = faultInjector(admin, redisServer);
  const processes = await startProcesses({ fence: options.fence, dbFile, redisServer, chat, context, logger, appSettings, tokens });

  const settleTimeouts: string[] = [];
  const pathMs: number[] = [];
  let run = 0;
  let next = 0;
  let stoppedEarly = false;

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
      const proc = await processes.live();
      try {
        await context.run(proc, () => seedProposal(proc, id, symbol));
        break;
      } catch (error) {
        if (!isCrash(error)) throw error;
        if ((await observer.proposal.count({ where: { id } })) > 0) break;
      }
    }
    const faultDone = sleep(faultAt).then(() => faults.inject(fault));
    await sleep(approveDelay);
    // A person presses Approve; if the process was dead at that moment, they press again.
    for (;;) {
      const proc = await processes.live();
      try {
        await context.run(proc, () => approveProposal(proc.runtime!.app, id, { platform: "telegram", userId: "111", displayName: "chaos" }));
        break;
      } catch (error) {
        if (!isCrash(error)) throw error;
        if (processes.restarting) await processes.restarting;
        const row = await observer.proposal.findUnique({ where: { id }, select: { status: true } });
        if (row?.status !== "pending") break;
      }
    }
    await faultDone;
    const until = Date.now() + options.settleMs;
    let ok = false;
    while (Date.now() < until) {
      if (await settled(observer, id)) {
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
    if (run % 50 === 0) console.log(`chaos: ${run} approvals, ${((Date.now() - started) / 1000).toFixed(0)} s, ${processes.restarts} restarts`);
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
  const inFlight = processes.restarting; // a crash handler's restart may still be under way
  if (inFlight) await inFlight;
  await processes.current.runtime?.stop();
  processes.current.redis.disconnect();
  setCrashHandler(null);

  // ---- the verdict, from the database and the chat as they are now
  const { duplicateOrders, unbookedVenueOrders, lostIntents, staleCards, staleOnlyByDuplicatePost, duplicatePosts, failedIntents, statuses, details } = await check(observer, chat);
  pathMs.sort((a, b) => a - b);
  const restartMs = processes.restartMs;
  restartMs.sort((a, b) => a - b);
  const rq = (f: number): number => restartMs[Math.min(restartMs.length - 1, Math.floor(f * restartMs.length))] ?? 0;
  const q = (f: number): number => pathMs[Math.min(pathMs.length - 1, Math.floor(f * pathMs.length))] ?? 0;

  console.log("");
  console.log(`approvals run: ${run}${stoppedEarly ? ` (stopped early: the --seconds cap of ${options.seconds} s was reached before ${options.approvals})` : ""}`);
  console.log(`crash points hit: ${PATH_POINTS.map((p) => `${p} ${processes.crashes.get(p) ?? 0}`).join(", ")} (armed but not reached before settling: ${PATH_POINTS.map((p) => `${p} ${unreached.get(p) ?? 0}`).join(", ")}); restarts ${processes.restarts}, calls refused to dead processes ${processes.zombieCalls}, stops > 15 s ${processes.slowStops}`);
  console.log(`redis faults: ${FAULTS.map((f) => `${f} ${faults.counts.get(f) ?? 0}`).join(", ")}`);
  console.log(`elapsed: ${elapsed.toFixed(1)} s (per approval path p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${pathMs.at(-1) ?? 0} ms; settle timeouts ${settleTimeouts.length}; process restart (stop + start) p50 ${rq(0.5)} ms, p99 ${rq(0.99)} ms)`);
  console.log(`trades: ${[...statuses].map(([s, n]) => `${s} ${n}`).join(", ")}; intents failed ${failedIntents}; duplicate card posts (a second message after after-card-send) ${duplicatePosts}`);
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