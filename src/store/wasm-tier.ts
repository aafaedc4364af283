import { setFlagsFromString } from "node:v8";

let applied = false;

/**
 * Keeps WebAssembly on V8's baseline compiler (Liftoff), with no tier-up to the optimizing one.
 *
 * Why: Prisma 7 plans every query in a WebAssembly module (its query compiler, 3.3 MB of wasm).
 * With V8's default dynamic tiering, the functions a running bot calls often are recompiled by the
 * optimizing compiler on background threads, and that costs 40–70 MB of resident memory that is
 * never given back (measured with a probe of 3,000 mixed queries: 139–188 MB against 115–125 MB
 * baseline-only, the spread depending on how much got tiered up), while the queries were not
 * measurably faster (0.9–1.1 ms per five queries either way: the time goes to SQLite and Prisma's
 * JavaScript, not the planner). The whole-bot figure in `npm run bench` shows the effect.
 *
 * A process-wide V8 flag, set before the first Prisma client compiles its module. Other wasm in
 * the process (undici's HTTP parser, when loaded) runs on the same baseline tier, which is fast
 * enough for parsing responses. Changing a V8 flag after start is allowed for flags read when a
 * module is compiled, which this one is.
 */
export function keepWasmOnBaselineTier(): void {
  if (applied) return;
  applied = true;
  setFlagsFromString("--liftoff-only");
}
