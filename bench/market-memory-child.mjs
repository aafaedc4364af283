// Plain node (no tsx): RSS of ccxt's four venue classes imported by file URL, or of all of ccxt.
// Usage: node bench/market-memory-child.mjs empty|four|all — prints one JSON line after warm-up.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";

const VENUES = ["bybit", "binanceusdm", "okx", "bitget"];
const mode = process.argv[2] ?? "empty";
const root = dirname(dirname(createRequire(import.meta.url).resolve("ccxt")));
const instances = [];
if (mode === "four") {
  for (const id of VENUES) {
    const Class = (await import(pathToFileURL(join(root, "js", "src", `${id}.js`)).href)).default;
    instances.push(new Class({ enableRateLimit: true }));
  }
} else if (mode === "all") {
  const ccxt = (await import("ccxt")).default;
  for (const id of VENUES) instances.push(new ccxt[id]({ enableRateLimit: true }));
}
await sleep(300);
const m = process.memoryUsage();
console.log(JSON.stringify({ mode, rss: m.rss, heapUsed: m.heapUsed, instances: instances.length }));
