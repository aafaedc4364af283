import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import path from "node:path";
import { promisify } from "node:util";
import { Writable } from "node:stream";
import { Worker } from "bullmq";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { QueueDashboardConfig } from "../../src/metrics/metrics-config";
import { closeQueues, createQueues, QUEUE, type Queues } from "../../src/queue/queues";
import { startHttpServer } from "../../src/web/http-server";
import { createQueueDashboard } from "../../src/web/queue-dashboard";
import { freshPrefix, newRedis, recordingApp } from "../support/test-env";

/** /admin/queues on the real web server, with bull-board over real BullMQ queues on the test Redis. */
const USER = "ops";
const PASSWORD = "correct-horse-battery-staple";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

interface Harness { base: string; queues: Queues; logs: string[] }

async function start(dashboard: QueueDashboardConfig | null): Promise<Harness> {
  const env = await recordingApp();
  const logs: string[] = [];
  // Everything logged, unredacted: the password must not be in it.
  const logger = pino({ level: "trace" }, new Writable({ write(chunk: Buffer, _enc, done) { logs.push(chunk.toString()); done(); } }));
  const redis = newRedis();
  const prefix = freshPrefix();
  const queues = createQueues(redis, prefix);
  cleanups.push(env.cleanup, () => redis.quit(), () => closeQueues(queues));
  await failOneNotice(queues, prefix);
  const server = await startHttpServer({ app: { ...env.app, logger }, queues, port: 0, operator: { metricsToken: null, queueDashboard: dashboard } });
  cleanups.push(() => new Promise((r) => server.close(r)));
  const { port } = server.address() as { port: number };
  return { base: `http://127.0.0.1:${port}`, queues, logs };
}

/** One notify job failed for good, through a real worker: what an operator would want to retry. */
async function failOneNotice(queues: Queues, prefix: string): Promise<void> {
  const redis = newRedis();
  const worker = new Worker(QUEUE.notify, () => Promise.reject(new Error("telegram said no")), { connection: redis, prefix });
  const failed = new Promise((r) => worker.once("failed", r));
  await queues[QUEUE.notify].add("notice", { kind: "text", text: "hello" }, { jobId: "note-1", attempts: 1 });
  await failed;
  await worker.close();
  await redis.quit();
}

const basic = (user: string, password: string): Record<string, string> => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` });
const ok = basic(USER, PASSWORD);

describe("queue dashboard at /admin/queues", () => {
  it("is absent (404) when not configured", async () => {
    const h = await start(null);
    expect((await fetch(`${h.base}/admin/queues`, { headers: ok })).status).toBe(404);
    expect((await fetch(`${h.base}/admin/queues/api/queues`, { headers: ok })).status).toBe(404);
    expect((await fetch(`${h.base}/health`)).status).toBe(200);
  });

  it("asks for credentials (401 with WWW-Authenticate) unless both the user and the password are right", async () => {
    const h = await start({ user: USER, password: PASSWORD, readOnly: true });
    for (const headers of [{}, basic(USER, `${PASSWORD}x`), basic(USER, PASSWORD.slice(0, -1)), basic(USER, `${PASSWORD.slice(0, -1)}X`), basic("opz", PASSWORD), basic("admin", PASSWORD), basic(USER, ""), { authorization: `Bearer ${PASSWORD}` }, { authorization: "Basic !!!" }]) {
      for (const path of ["/admin/queues", "/admin/queues/api/queues", "/admin/queues/static/favicon-32x32.png"]) {
        const answer = await fetch(`${h.base}${path}`, { headers });
        expect(answer.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(answer.headers.get("www-authenticate")).toMatch(/^Basic realm="perpbot queues"/);
        expect(await answer.text()).not.toContain("notify");
      }
    }
    expect(h.logs.join("")).not.toContain(PASSWORD);
  });

  it("with the credentials, serves the page and lists every queue with its failed job", async () => {
    const h = await start({ user: USER, password: PASSWORD, readOnly: true });
    const page = await fetch(`${h.base}/admin/queues`, { headers: ok });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain("perpbot queues (read-only)");
    // The page's own script comes from under the same path, behind the same check.
    const baseHref = /<base href="([^"]+)"/.exec(html)?.[1];
    expect(baseHref).toBe("/admin/queues/");
    const script = /src="(static\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const scriptUrl = new URL(script ?? "", `${h.base}${baseHref}`);
    expect((await fetch(scriptUrl, { headers: ok })).status).toBe(200);
    expect((await fetch(scriptUrl)).status).toBe(401);
    const api = await fetch(`${h.base}/admin/queues/api/queues?activeQueue=notify&status=failed&page=1&jobsPerPage=10`, { headers: ok });
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: { name: string; readOnlyMode: boolean; counts: Record<string, number>; jobs: { id: string }[] }[] };
    expect(body.queues.map((q) => q.name).sort()).toEqual(Object.values(QUEUE).sort());
    const notify = body.queues.find((q) => q.name === QUEUE.notify);
    expect(notify?.readOnlyMode).toBe(true);
    expect(notify?.counts.failed).toBe(1);
    expect(notify?.jobs.map((j) => j.id)).toEqual(["note-1"]);
    expect(h.logs.join("")).not.toContain(PASSWORD);
  });

  it("read-only (the default): a retry or a removal is refused and the job stays failed", async () => {
    const h = await start({ user: USER, password: PASSWORD, readOnly: true });
    for (const [method, path] of [["PUT", "notify/note-1/retry"], ["PUT", "notify/note-1/clean"], ["PUT", "notify/retry/failed"], ["PUT", "notify/empty"], ["POST", "notify/add"]] as const) {
      const answer = await fetch(`${h.base}/admin/queues/api/queues/${path}`, { method, headers: { ...ok, "content-type": "application/json" }, body: "{}" });
      expect(answer.status, path).toBe(405);
      // Refused by our gate, before bull-board (whose own read-only lock is tested below).
      expect(await answer.text(), path).toContain("QUEUE_DASHBOARD_READONLY=false");
    }
    expect(await h.queues[QUEUE.notify].getJobState("note-1")).toBe("failed");
  });

  it("bull-board's own read-only mode refuses the same calls (the second lock, behind the gate)", async () => {
    const redis = newRedis();
    const prefix = freshPrefix();
    const queues = createQueues(redis, prefix);
    cleanups.push(() => redis.quit(), () => closeQueues(queues));
    await failOneNotice(queues, prefix);
    // The dashboard alone, without the gate in front of it.
    const dashboard = createQueueDashboard(queues, { basePath: "/admin/queues", readOnly: true });
    const server: Server = createServer((req, res) => void dashboard(req, res));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    cleanups.push(() => new Promise((r) => server.close(r)));
    const { port } = server.address() as { port: number };
    for (const path of ["notify/note-1/retry", "notify/note-1/clean"]) {
      expect((await fetch(`http://127.0.0.1:${port}/admin/queues/api/queues/${path}`, { method: "PUT" })).status, path).toBe(405);
    }
    expect(await queues[QUEUE.notify].getJobState("note-1")).toBe("failed");
  });

  it("QUEUE_DASHBOARD_READONLY=false allows a retry", async () => {
    const h = await start({ user: USER, password: PASSWORD, readOnly: false });
    const answer = await fetch(`${h.base}/admin/queues/api/queues/notify/note-1/retry`, { method: "PUT", headers: ok });
    expect(answer.status).toBe(204);
    expect(await h.queues[QUEUE.notify].getJobState("note-1")).toBe("waiting");
  });
});

/**
 * The memory goal: bull-board, Hono and ejs (and prom-client, for /metrics) are imported when
 * first used, not when the web process starts. A child process imports what the web role imports,
 * under a module hook that refuses those packages.
 */
describe("the dashboard and metrics modules load lazily", () => {
  const root = `${path.resolve(import.meta.dirname, "../..")}/`;
  const run = promisify(execFile);
  const HOOKS = `
export async function resolve(specifier, context, next) {
  if (/^(@bull-board\\/|hono(\\/|$)|@hono\\/|ejs$|prom-client$)/.test(specifier)) throw new Error("refused lazy module " + specifier);
  return next(specifier, context);
}`;
  const REGISTER = `import { register } from "node:module"; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOKS)}`)});`;
  const SCRIPT = (extra: string) => `
const root = ${JSON.stringify(root)};
await import(root + "src/runtime.ts");
await import(root + "src/web/http-server.ts");
await import(root + "src/metrics/metrics-config.ts");
${extra}
console.log("imported");
`;
  const child = (extra = "") => run(process.execPath, ["--import", "tsx", "--import", `data:text/javascript,${encodeURIComponent(REGISTER)}`, "--input-type=module", "-e", SCRIPT(extra)], { cwd: root, timeout: 60_000 })
    .then(({ stdout, stderr }) => ({ stdout, stderr, code: 0 }), (e: { stdout?: string; stderr?: string; code?: number }) => ({ stdout: e.stdout ?? "", stderr: e.stderr ?? "", code: e.code ?? 1 }));

  it("importing the web server and the runtime loads none of them", async () => {
    const { stdout, stderr, code } = await child();
    expect(stderr).not.toContain("refused lazy module");
    expect([code, stdout.trim()]).toEqual([0, "imported"]);
  }, 90_000);

  it("the guard bites: importing the dashboard itself is refused", async () => {
    const { stderr, code } = await child(`await import(root + "src/web/queue-dashboard.ts");`);
    expect(code).not.toBe(0);
    expect(stderr).toContain("refused lazy module @bull-board/");
  }, 90_000);

  it("and so does importing the metrics collector", async () => {
    const { stderr, code } = await child(`await import(root + "src/metrics/metrics-scrape.ts");`);
    expect(code).not.toBe(0);
    expect(stderr).toContain("refused lazy module prom-client");
  }, 90_000);
});
