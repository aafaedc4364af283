import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";

/**
 * Bookkeeping of every OS process the crash-recovery harness starts (see `process-harness.ts`),
 * plus the small polling helpers its parts share. The set of live children and the exit hook
 * live in this one module so that every part registers into the same set and the last-resort
 * SIGKILL on test-process exit covers all of them.
 */

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ── bookkeeping of everything we started ─────────────────────────────────────────────────

const liveChildren = new Set<ChildProcess>();

export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal); // the process group: tsx and the node it spawned
  } catch {
    try { child.kill(signal); } catch { /* already gone */ }
  }
}

process.once("exit", () => {
  for (const child of liveChildren) killGroup(child, "SIGKILL");
});

export function track(child: ChildProcess): void {
  liveChildren.add(child);
  child.once("exit", () => {
    liveChildren.delete(child);
    // tsx may die before its node child (or the other way round): never leave half a group behind.
    killGroup(child, "SIGKILL");
  });
}

/** SIGKILLs every process this harness started that is still alive (use in afterAll). */
export async function killAllProcesses(): Promise<void> {
  const children = [...liveChildren];
  for (const child of children) killGroup(child, "SIGKILL");
  await Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once("exit", r)))));
}

// ── one-shot scripts ─────────────────────────────────────────────────────────────────────

/** How a script run ended, with everything it printed. */
export interface ScriptRun { readonly code: number | null; readonly stdout: string; readonly stderr: string }

export interface StartedScript {
  readonly done: Promise<ScriptRun>;
  /** stdout so far. */
  readonly output: () => string;
  readonly signal: (name: NodeJS.Signals) => void;
}

/**
 * Runs `node --import <loader> <script> …args` as a tracked child (a CLI test's subject), collecting
 * its output. `loader` is "tsx" when `cwd` is the project, else a file URL of tsx's loader.
 */
export function startScript(script: string, args: readonly string[], options: { readonly cwd: string; readonly env: NodeJS.ProcessEnv; readonly loader?: string }): StartedScript {
  const child = spawn(process.execPath, ["--import", options.loader ?? "tsx", script, ...args], { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
  track(child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr.on("data", (chunk: Buffer) => { stderr += chunk.toString(); });
  const done = new Promise<ScriptRun>((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
  return { done, output: () => stdout, signal: (name) => child.kill(name) };
}

// ── polling ──────────────────────────────────────────────────────────────────────────────

/** Polls `condition` every ~100 ms until it is true; throws "timed out after N ms waiting for <what>". */
export async function waitFor(condition: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await condition()) return;
      lastError = undefined;
    } catch (error) {
      lastError = error; // e.g. the database file does not exist yet: keep polling
    }
    if (Date.now() > deadline) {
      const cause = lastError === undefined ? "" : ` (last check threw: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await sleep(100);
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
