import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { killGroup, track } from "./child-processes";

// ── perpbot role processes ───────────────────────────────────────────────────────────────

export const ROOT = path.resolve(import.meta.dirname, "../..");
/**
 * node's arguments from `npm start`'s script in package.json, e.g. ["--max-semi-space-size=4", …,
 * "dist/main.js"] (its V8 flags and the bundle, which test/global-setup.ts builds before any test,
 * as `prestart` does): the program as a deployment runs it, one process, no npm or shell in between
 * to relay signals. Also what the memory bench starts.
 */
export function npmStartArgs(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
  const [command, ...args] = (pkg.scripts.start ?? "").trim().split(/\s+/);
  if (command !== "node") throw new Error(`package.json "start" must run node directly, not: ${pkg.scripts.start ?? "(none)"}`);
  return args;
}

const NODE_ARGS: readonly string[] = npmStartArgs();

export interface ExitInfo { readonly code: number | null; readonly signal: NodeJS.Signals | null }

export interface RoleProcess {
  /** e.g. "worker#2" */
  readonly name: string;
  readonly pid: number;
  /** Everything written to stdout and stderr so far, interleaved as it arrived. */
  output(): string;
  /** Resolves with the first match; rejects on timeout or when the process exits without it. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  readonly exited: Promise<ExitInfo>;
  isAlive(): boolean;
  /** Sends `signal` to the whole process group (the program and anything it started) and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<ExitInfo>;
  /** SIGTERM (a clean shutdown), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<ExitInfo>;
}

/**
 * Runs `node <npm start's flags> dist/main.js <roles>` from the repository root with only PATH, HOME
 * and `env` in its environment (so nothing leaks in from the test runner's environment).
 */
export function spawnRole(roles: string, env: Readonly<Record<string, string>>, options: { name?: string } = {}): RoleProcess {
  const child = spawn(process.execPath, [...NODE_ARGS, roles], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? tmpdir(), ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // own process group, so a kill reaches anything the program starts
  });
  if (child.pid === undefined) throw new Error(`could not spawn ${process.execPath} ${NODE_ARGS.join(" ")}`);
  track(child);
  const name = options.name ?? roles;
  let buffer = "";
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    buffer += chunk.toString();
    for (const l of listeners) l();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  let exitInfo: ExitInfo | null = null;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once("exit", (code, signal) => {
      exitInfo = { code, signal };
      // Let the pipes drain, so the last words (e.g. the crash point line) are in the buffer.
      setTimeout(() => {
        for (const l of listeners) l();
        resolve({ code, signal });
      }, 50);
    });
  });

  const waitForOutput = (pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> => new Promise((resolve, reject) => {
    const check = (): boolean => {
      const match = buffer.match(pattern);
      if (match === null) return false;
      done();
      resolve(match);
      return true;
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${name}: no output matching ${String(pattern)} within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (): void => { clearTimeout(timer); listeners.delete(check); };
    if (check()) return;
    listeners.add(check);
    void exited.then((info) => {
      if (check()) return;
      done();
      reject(new Error(`${name} exited (${describeExit(info)}) before printing anything matching ${String(pattern)}`));
    });
  });

  const kill = async (signal: NodeJS.Signals = "SIGKILL"): Promise<ExitInfo> => {
    if (exitInfo === null) killGroup(child, signal);
    return exited;
  };

  return {
    name, pid: child.pid, exited, kill, waitForOutput,
    output: () => buffer,
    isAlive: () => exitInfo === null,
    stop: async (graceMs = 10_000) => {
      if (exitInfo !== null) return exitInfo;
      child.kill("SIGTERM"); // the program shuts down cleanly on it
      const timer = setTimeout(() => killGroup(child, "SIGKILL"), graceMs);
      const info = await exited;
      clearTimeout(timer);
      return info;
    },
  };
}

export function describeExit(info: ExitInfo): string {
  return info.signal !== null ? `signal ${info.signal}` : `code ${String(info.code)}`;
}
