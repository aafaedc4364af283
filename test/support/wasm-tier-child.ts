// Child of test/integration/wasm-tier.test.ts, run as `node --import tsx --allow-natives-syntax`.
// Opens a database the way every role does (unless told not to), then makes a tiny WebAssembly
// function hot enough for V8's dynamic tiering to optimize it, and prints which tier it runs on.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openDatabase } from "../../src/store/database";

const openFirst = process.argv[2] !== "without-database";
const dir = mkdtempSync(path.join(tmpdir(), "perpbot-wasm-tier-"));
try {
  if (openFirst) {
    const db = await openDatabase(`file:${path.join(dir, "tier.db")}`);
    await db.setting.findMany({ take: 1 }); // a real query through Prisma's wasm planner
    await db.$disconnect();
  }
  // (module (func (export "f") (param i32) (result i32) local.get 0 i32.const 1 i32.add))
  const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 6, 1, 96, 1, 127, 1, 127, 3, 2, 1, 0, 7, 5, 1, 1, 102, 0, 0, 10, 9, 1, 7, 0, 32, 0, 65, 1, 106, 11]);
  // The project's lib settings have no WebAssembly types (only Node's); the global is there at run time.
  const wasm = (globalThis as unknown as { WebAssembly: { instantiate(bytes: Uint8Array): Promise<{ instance: { exports: Record<string, unknown> } }> } }).WebAssembly;
  const { instance } = await wasm.instantiate(bytes);
  const hot = instance.exports["f"] as (x: number) => number;
  let x = 0;
  for (let round = 0; round < 3; round += 1) {
    for (let i = 0; i < 10_000_000; i += 1) x = hot(x);
    await new Promise((resolve) => setTimeout(resolve, 100)); // tier-up compiles on a background thread
  }
  // V8's test intrinsics, reachable only through the Function constructor (tsx would not parse `%`).
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- a fixed string: V8's natives syntax has no other way in
  const tierOf = new Function("f", "return { liftoff: %IsLiftoffFunction(f), turbofan: %IsTurboFanFunction(f) }") as (f: unknown) => { liftoff: boolean; turbofan: boolean };
  console.log(JSON.stringify({ calls: x, ...tierOf(hot) }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
