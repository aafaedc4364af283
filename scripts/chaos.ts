/**
 * `npm run chaos [-- --approvals N --seconds S --seed X --concurrency C --quick]`
 * `npm run chaos -- --live [bybit|binanceusdm|okx|bitget|all] [--approvals N --quick …]`
 *   live only: --timeout-ms (ccxt, 2500), --give-up-ms (unknown entry, 10000), --invisible-max-ms
 *   (2500), --reconcile-ms (1000); live defaults: --quick 20 approvals, --settle-ms 90000, --seconds 10800
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
 *
 * LIVE MODE (`--live [venue]`, default bybit; `--live all` runs the four venues one after another,
 * each with its own Redis, database and stand-in, --approvals N EACH). The runtime's broker is the
 * real live broker (`createLiveBroker`: ccxt with its rate limiter, the production settle delays)
 * pointed at the exchange stand-in (test/stand-ins/exchange-server.ts) started here, one market
 * per approval slot. Each process reaches the stand-in through a gate of its own: once it died, a
 * request it had not sent yet is cut, one already on its way still lands (scripts/chaos/venue-gate.ts),
 * and the broker drops answers that arrive after the death (scripts/chaos/fenced-broker.ts).
 * On top of the crash point (live adds after-send-recorded: the send time is committed, the order
 * not sent) and the Redis fault, every approval draws one stand-in fault, queued on the venue just
 * before the approval (it meets the next placement, which may be another slot's):
 *   accept-then-timeout  booked and filled, no answer: the client times out → unknown → look-up;
 *   5xx-after-accept     booked and filled, the gateway's 502 → unknown → look-up;
 *   reject               "insufficient margin": the trade fails, 0 orders on the venue (legitimate);
 *   partial-fill         25/50/75 % fills; the rest is cancelled by the venue, or (half of them)
 *                        left working, and perpbot must cancel it: the trade opens what filled;
 *   invisible            booked and filled, hidden from look-ups for 200 ms … 2.5 s: under ~1.5 s
 *                        the broker's own settle look-ups find it, beyond that the entry goes
 *                        unknown and the job's retry (5 s backoff) finds it;
 *   stop-not-placed      a stop/take-profit answered but not kept: reported, re-placed;
 *   rate-limit / ban     the venue's 429 / IP-ban answer (Retry-After 1 s) on the next POST to
 *                        the order path: refused at the door, sent again on the retry.
 * Timings, so a run settles in minutes rather than hours: ccxt timeout 2.5 s (EXCHANGE_TIMEOUT_MS:
 * how long an accept-then-timeout holds the one order worker), and LIVE_UNKNOWN_ORDER_GIVE_UP
 * 10 s instead of 15 min (only an after-send-recorded crash needs it: that order was never sent,
 * and it is declared never placed after the give-up time; 10 s is 4× the longest invisibility, and
 * a visible order is always found before the give-up is considered). The execute job keeps its
 * production retry policy (6 attempts, exponential from 5 s). Reconciler passes every 1 s (each
 * pass compares every open position with the venue through the rate-limited client). Each trade
 * that opened is then closed on the venue behind the bot (as a person in the exchange's app), and
 * the reconciler must book that close from the venue's fills: that keeps the venue's positions,
 * and so each pass's requests, few. The verdict counts on the VENUE: entry orders per trade (by the
 * venue's form of its client id), placements of it that reached the order engine (> 1 is a
 * re-send, even one the venue refused as a duplicate), the journal's filled quantity against the
 * venue order's, venue fills of trades the journal failed, positions or orders nobody owns, and
 * entries still working on the venue at the end.
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
import type { LiveVenue } from "../src/exchange/live/venue-dialect";
import { PAPER_MARKET, seedProposal, settled } from "./chaos/approval-steps";
import { check, paperCheck } from "./chaos/checks";
import { FAULTS, faultInjector } from "./chaos/faults";
import { LIVE_VENUES, LiveVenueRun, VENUE_FAULTS } from "./chaos/live-venue";
import { freePort, PrivateRedis } from "./chaos/private-redis";
import { ChatPlatform } from "./chaos/recording-transport";
import { isCrash, LIVE_PATH_POINTS, PATH_POINTS, type PathPoint, type Token } from "./chaos/simulated-crash";
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
  /** Live mode: the venues to run, one after another; null for paper. */
  live: LiveVenue[] | null;
  timeoutMs: number;
  giveUpMs: number;
  invisibleMaxMs: number;
  reconcileMs: number;
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
  let live: LiveVenue[] | null = null;
  const liveAt = argv.findIndex((a) => a === "--live" || a.startsWith("--live="));
  if (liveAt >= 0) {
    const flag = argv[liveAt]!;
    const next = flag.includes("=") ? flag.slice("--live=".length) : argv[liveAt + 1];
    const asked = next === undefined || next.startsWith("--") ? "bybit" : next;
    if (asked === "all") live = [...LIVE_VENUES];
    else if ((LIVE_VENUES as readonly string[]).includes(asked)) live = [asked as LiveVenue];
    else throw new Error(`--live takes one of ${LIVE_VENUES.join(", ")} or all, got ${asked}`);
  }
  return {
    quick,
    live,
    approvals: int("approvals", quick ? (live ? 20 : 50) : 1000),
    seconds: int("seconds", live ? 3 * 3600 : 900),
    seed: int("seed", 20_260_105),
    concurrency: Math.max(1, int("concurrency", 4)),
    faultWindowMs: int("fault-window-ms", 400),
    settleMs: int("settle-ms", live ? 90_000 : 30_000),
    // --no-fence: a crashed process keeps running its catch/finally code (diagnostics only).
    fence: !argv.includes("--no-fence"),
    timeoutMs: int("timeout-ms", 2_500),
    giveUpMs: int("give-up-ms", 10_000),
    invisibleMaxMs: Math.max(201, int("invisible-max-ms", 2_500)),
    reconcileMs: int("reconcile-ms", live ? 1_000 : 150),
  };
}

// ---------------------------------------------------------------------------------------------

interface RunOutcome {
  readonly code: number;
  readonly summary: string;
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options.live === null) return (await runChaos(options, null)).code;
  const outcomes: RunOutcome[] = [];
  for (const venue of options.live) {
    outcomes.push(await runChaos(options, venue));
    console.log("");
  }
  if (outcomes.length > 1) {
    console.log("live chaos, every venue:");
    for (const o of outcomes) console.log(`  ${o.summary}`);
  }
  return Math.max(...outcomes.map((o) => o.code));
}

async function runChaos(options: Options, venue: LiveVenue | null): Promise<RunOutcome> {
  const random = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const points: readonly PathPoint[] = venue === null ? PATH_POINTS : LIVE_PATH_POINTS;
  const started = Date.now();
  const deadline = started + options.seconds * 1000;
  const dir = mkdtempSync(path.join(tmpdir(), `perpbot-chaos-${venue === null ? "" : `${venue}-`}`));
  const dbFile = path.join(dir, "chaos.db");
  const logFile = path.join(dir, "perpbot.log");
  const logger = pino({ level: process.env.CHAOS_LOG_LEVEL ?? "warn" }, pino.destination({ dest: logFile, sync: false }));
  const redisServer = new PrivateRedis(await freePort(), dir);
  await redisServer.start();
  const slots = Array.from({ length: options.concurrency }, (_, slot) => `C${slot}/USDT:USDT`);
  const live = venue === null ? null : new LiveVenueRun(venue, slots, logger, { timeoutMs: options.timeoutMs, giveUpMs: options.giveUpMs, invisibleMaxMs: options.invisibleMaxMs });
  await live?.start();
  console.log(`chaos${venue === null ? "" : ` LIVE on the ${venue} stand-in`}: seed ${options.seed}, ${options.approvals} approvals (cap ${options.seconds} s), ${options.concurrency} at a time, ` +
    `crash points ${points.join("/")}, Redis faults ${FAULTS.join("/")} within ${options.faultWindowMs} ms of each approval's start` +
    `${venue === null ? "" : `, venue faults ${VENUE_FAULTS.join("/")}`}` +
    `${options.fence ? "" : " — UNFENCED (a crashed process keeps running its error paths)"}`);
  console.log(`chaos: private redis-server on 127.0.0.1:${redisServer.port} (no persistence), database ${dbFile}, log ${logFile}`);
  if (live !== null) {
    console.log(`chaos: exchange stand-in on ${live.server.url}; ccxt timeout ${options.timeoutMs} ms, unknown-order give-up ${options.giveUpMs} ms, ` +
      `invisible up to ${options.invisibleMaxMs} ms, reconciler every ${options.reconcileMs} ms`);
  }

  const observer = await openDatabase(`file:${dbFile}`);
  const admin = new Redis(redisServer.url, { maxRetriesPerRequest: null, retryStrategy: () => 20 });
  admin.on("error", () => undefined);
  const chat = new ChatPlatform();
  const context = new AsyncLocalStorage<Proc>();
  const appSettings = live === null ? settings() : live.settings(settings());
  const market = live === null ? PAPER_MARKET : live.marketFor();

  const unreached = new Map<string, number>(points.map((p) => [p, 0]));
  const tokens: Token[] = [];
  const faults = faultInjector(admin, redisServer);
  const processes = await startProcesses({
    fence: options.fence, dbFile, redisServer, chat, context, logger, appSettings, tokens, points, reconcileIntervalMs: options.reconcileMs,
    ...(live === null ? {} : { broker: (proc: Proc) => live.brokerFor(proc, options.fence) }),
  });

  const settleTimeouts: string[] = [];
  const pathMs: number[] = [];
  /** Live: approve → settled (open or failed), and closed behind the bot → booked closed. */
  const entryMs: number[] = [];
  const closeMs: number[] = [];
  let run = 0;
  let next = 0;
  let stoppedEarly = false;

  async function waitSettled(id: string, statuses: readonly string[]): Promise<boolean> {
    const until = Date.now() + options.settleMs;
    while (Date.now() < until) {
      if (await settled(observer, id, statuses)) return true;
      await sleep(20);
    }
    return false;
  }

  async function oneApproval(index: number, symbol: string): Promise<void> {
    const point = pick(points);
    const fault = pick(FAULTS);
    const faultAt = Math.floor(random() * options.faultWindowMs);
    const approveDelay = Math.floor(random() * 40);
    // Drawn only live, so a paper run's draws are what they always were.
    const venueFault = live === null ? null : pick(VENUE_FAULTS);
    const token: Token = { approval: index, point, hit: false };
    tokens.push(token);
    const t0 = Date.now();
    const id = newProposalId();
    // The signal job's part: a quote and a pending proposal with its card intent, then the fast path.
    for (;;) {
      const proc = await processes.live();
      try {
        await context.run(proc, () => seedProposal(proc, id, symbol, market));
        break;
      } catch (error) {
        if (!isCrash(error)) throw error;
        if ((await observer.proposal.count({ where: { id } })) > 0) break;
      }
    }
    const faultDone = sleep(faultAt).then(() => faults.inject(fault));
    await sleep(approveDelay);
    if (live !== null && venueFault !== null) live.inject(venueFault, random);
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
    let ok = await waitSettled(id, ["open", "failed"]);
    if (live !== null) {
      const t1 = Date.now();
      entryMs.push(t1 - t0);
      // Closed on the venue behind the bot, as a person in the exchange's app would: the reconciler books it.
      const closed = live.closeBehind(symbol);
      const status = (await observer.proposal.findUnique({ where: { id }, select: { status: true } }))?.status;
      if (ok && closed && status === "open") {
        ok = await waitSettled(id, ["closed"]);
        closeMs.push(Date.now() - t1);
      }
    }
    if (!ok) settleTimeouts.push(id);
    pathMs.push(Date.now() - t0);
    if (!token.hit) unreached.set(point, (unreached.get(point) ?? 0) + 1);
    tokens.splice(tokens.indexOf(token), 1);
    run += 1;
    if (run % 50 === 0) console.log(`chaos: ${run} approvals, ${((Date.now() - started) / 1000).toFixed(0)} s, ${processes.restarts} restarts`);
  }

  const workers = slots.map(async (symbol) => {
    for (;;) {
      if (next >= options.approvals) return;
      if (Date.now() >= deadline) {
        stoppedEarly = true;
        return;
      }
      const index = next;
      next += 1;
      await oneApproval(index, symbol);
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
  await processes.current.closeVenue();
  setCrashHandler(null);

  // ---- the verdict, from the database, the chat and the venue as they are now
  const venueCheck = live === null ? await paperCheck(observer) : live.check();
  const { duplicateOrders, unbookedVenueOrders, venueMismatches, lostIntents, staleCards, staleOnlyByDuplicatePost, duplicatePosts, failedIntents, statuses, details } = await check(observer, chat, venueCheck);
  pathMs.sort((a, b) => a - b);
  const restartMs = processes.restartMs;
  restartMs.sort((a, b) => a - b);
  const rq = (f: number): number => restartMs[Math.min(restartMs.length - 1, Math.floor(f * restartMs.length))] ?? 0;
  const at = (samples: number[], f: number): number => [...samples].sort((a, b) => a - b)[Math.min(samples.length - 1, Math.floor(f * samples.length))] ?? 0;
  const q = (f: number): number => at(pathMs, f);
  const failures = duplicateOrders + lostIntents + staleCards + unbookedVenueOrders + venueMismatches;

  console.log("");
  console.log(`approvals run: ${run}${stoppedEarly ? ` (stopped early: the --seconds cap of ${options.seconds} s was reached before ${options.approvals})` : ""}`);
  console.log(`crash points hit: ${points.map((p) => `${p} ${processes.crashes.get(p) ?? 0}`).join(", ")} (armed but not reached before settling: ${points.map((p) => `${p} ${unreached.get(p) ?? 0}`).join(", ")}); restarts ${processes.restarts}, calls refused to dead processes ${processes.zombieCalls}, stops > 15 s ${processes.slowStops}`);
  console.log(`redis faults: ${FAULTS.map((f) => `${f} ${faults.counts.get(f) ?? 0}`).join(", ")}`);
  if (live !== null) {
    console.log(`venue faults injected: ${VENUE_FAULTS.map((f) => `${f} ${live.injected.get(f) ?? 0}`).join(", ")}`);
    console.log(`venue faults met by the order engine: ${[...live.met].map(([f, n]) => `${f} ${n}`).join(", ") || "none"} (429 and bans are answered before it); ` +
      `positions closed behind the bot ${live.closedBehind}; requests a dead process tried to send, cut at its gate ${live.refusedFromDead}; venue requests ${live.server.requests.length}`);
  }
  console.log(`elapsed: ${elapsed.toFixed(1)} s (per approval path p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${pathMs.at(-1) ?? 0} ms; settle timeouts ${settleTimeouts.length}; process restart (stop + start) p50 ${rq(0.5)} ms, p99 ${rq(0.99)} ms)`);
  if (live !== null) console.log(`  of which approve → open or failed, settled: p50 ${at(entryMs, 0.5)} ms, p99 ${at(entryMs, 0.99)} ms; closed on the venue → booked closed: p50 ${at(closeMs, 0.5)} ms, p99 ${at(closeMs, 0.99)} ms`);
  console.log(`trades: ${[...statuses].map(([s, n]) => `${s} ${n}`).join(", ")}; intents failed ${failedIntents}; duplicate card posts (a second message after after-card-send) ${duplicatePosts}`);
  console.log(`venue orders not booked in the journal: ${unbookedVenueOrders}`);
  if (live !== null) console.log(`journal and venue disagree (filled quantity, positions): ${venueMismatches}`);
  console.log(`duplicate orders${live === null ? "" : " (counted on the venue)"}: ${duplicateOrders}`);
  console.log(`lost intents: ${lostIntents}`);
  console.log(`cards not in their true state: ${staleCards}${staleCards > 0 ? ` (${staleOnlyByDuplicatePost} of them only because of an unrecorded duplicate post left showing an old state)` : ""}`);
  if (details.length > 0) {
    console.log(`\nfirst findings (of ${details.length}):`);
    for (const line of details.slice(0, 30)) console.log(`  ${line}`);
  }
  if (fatal !== null) console.error("chaos: the run itself failed:", fatal);

  if (live !== null && process.env.CHAOS_REQUESTS === "1") {
    const byPath = new Map<string, number>();
    for (const r of live.server.requests) byPath.set(`${r.method} ${r.path}`, (byPath.get(`${r.method} ${r.path}`) ?? 0) + 1);
    for (const [k, n] of [...byPath].sort((a, b) => b[1] - a[1])) console.log(`  ${n} ${k}`);
  }
  await observer.$disconnect();
  admin.disconnect();
  await redisServer.kill();
  await live?.stop();
  logger.flush();
  if (process.env.CHAOS_KEEP !== "1" && failures === 0 && fatal === null) rmSync(dir, { recursive: true, force: true });
  else console.log(`(kept ${dir} for inspection)`);
  const code = fatal !== null || failures > 0 ? 1 : 0;
  const summary = `${venue ?? "paper"}: ${run} approvals in ${elapsed.toFixed(0)} s, ${[...statuses].map(([s, n]) => `${s} ${n}`).join(", ")}; duplicate orders ${duplicateOrders}, lost intents ${lostIntents}, ` +
    `unbooked venue orders ${unbookedVenueOrders}, journal/venue disagreements ${venueMismatches}, stale cards ${staleCards}${code === 0 ? "" : " — FAILED"}`;
  return { code, summary };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
