import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * openDatabase keeps WebAssembly on V8's baseline tier (src/store/wasm-tier.ts): Prisma 7's query
 * planner is wasm, and its optimized tier cost the bot 40–70 MB of resident memory for no
 * measurable speed (issues 8 and 11, the 150 MB goal). A real child process with V8's test
 * intrinsics reports the tier a hot wasm function ended on; the same child without opening the
 * database is the control that shows V8 would otherwise have optimized it.
 */
const CHILD = path.resolve(import.meta.dirname, "../support/wasm-tier-child.ts");

function tierAfter(mode: "with-database" | "without-database"): { calls: number; liftoff: boolean; turbofan: boolean } {
  const run = spawnSync(process.execPath, ["--import", "tsx", "--allow-natives-syntax", CHILD, mode], { encoding: "utf8", timeout: 60_000 });
  if (run.status !== 0) throw new Error(`wasm tier child (${mode}) exited ${run.status}: ${run.stderr.slice(-800)}`);
  return JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "") as { calls: number; liftoff: boolean; turbofan: boolean };
}

describe("WebAssembly tier after openDatabase", () => {
  it("a hot wasm function stays on the baseline tier once a database is open", () => {
    const tier = tierAfter("with-database");
    expect(tier.calls).toBe(30_000_000);
    expect(tier).toMatchObject({ liftoff: true, turbofan: false });
  }, 90_000);

  it("control: without openDatabase the same function is optimized, so the check above can fail", () => {
    expect(tierAfter("without-database")).toMatchObject({ liftoff: false, turbofan: true });
  }, 90_000);
});
