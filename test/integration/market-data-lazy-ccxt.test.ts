import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../stand-ins/exchange-server";

/**
 * The memory goal: a process loads the ccxt code of the venues it uses, not all of ccxt (about
 * 100 MB resident for `import "ccxt"`). A child process runs under a module hook that refuses
 * every ccxt exchange file except the four venues' (and binance.js, binanceusdm's parent class);
 * it creates the four market-data sources, makes each build its client, and creates the live
 * client. Were anything in src/ to import "ccxt" itself, or another exchange, the hook would fail it.
 */

const run = promisify(execFile);

/** Refuses ccxt's index and every exchange class (and its abstract API) but the allowed ones. */
const HOOKS = `
const ALLOWED = new Set(["bybit", "binanceusdm", "binance", "okx", "bitget"]);
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  const m = /\\/node_modules\\/ccxt\\/js\\/(?:ccxt\\.js$|src\\/(?:abstract\\/|pro\\/)?([a-z0-9]+)\\.js$)/.exec(resolved.url);
  if (m !== null && !ALLOWED.has(m[1] ?? "")) throw new Error("refused ccxt module " + resolved.url);
  return resolved;
}`;
const REGISTER = `import { register } from "node:module"; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOKS)}`)});`;

const SCRIPT = (extra: string) => `
const root = ${JSON.stringify(REPO_ROOT)};
const { default: pino } = await import("pino");
const { createCcxtMarketData, VENUE_IDS } = await import(root + "src/exchange/ccxt-market-data.ts");
const { createLiveExchange } = await import(root + "src/exchange/live/ccxt-client.ts");
const kinds = [];
for (const venue of VENUE_IDS) {
  const source = createCcxtMarketData({ venue, logger: pino({ level: "silent" }), hostOverride: "http://127.0.0.1:9", timeoutMs: 500 });
  // Nothing listens on port 9: the source builds its ccxt client, loads markets, fails as unavailable.
  kinds.push(await source.fetchTicker("BTC/USDT:USDT").then(() => "answered", (e) => e.kind));
  await source.close();
}
const live = createLiveExchange("okx", { apiKey: "k", secret: "s", passphrase: "p" });
${extra}
console.log(JSON.stringify({ kinds, live: live.id }));
`;

async function child(extra = ""): Promise<{ stdout: string; stderr: string; code: number }> {
  const args = ["--import", "tsx", "--import", `data:text/javascript,${encodeURIComponent(REGISTER)}`, "--input-type=module", "-e", SCRIPT(extra)];
  return run(process.execPath, args, { cwd: REPO_ROOT, timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ stdout, stderr, code: 0 }),
    (e: { stdout?: string; stderr?: string; code?: number }) => ({ stdout: e.stdout ?? "", stderr: e.stderr ?? "", code: e.code ?? 1 }),
  );
}

describe("ccxt is loaded venue by venue", () => {
  it("four market-data sources and the live client load only their venues' ccxt files", async () => {
    const { stdout, stderr, code } = await child();
    expect(stderr).not.toContain("refused ccxt module");
    expect(code).toBe(0);
    expect(JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}")).toEqual({ kinds: ["unavailable", "unavailable", "unavailable", "unavailable"], live: "okx" });
  }, 90_000);

  it("the guard bites: the same process importing all of ccxt is refused", async () => {
    const { stderr, code } = await child(`await import("ccxt");`);
    expect(code).not.toBe(0);
    expect(stderr).toContain("refused ccxt module");
  }, 90_000);
});
