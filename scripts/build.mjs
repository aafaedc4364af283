// Bundles perpbot for `npm start`: src/main.ts (and the chart renderer's child script) into
// dist/ as plain ES modules, npm packages left as imports. Running the bundle with plain node
// instead of `node --import tsx` saves the transpiler and what it keeps per loaded file (about a
// fifth of the whole bot's resident memory, measured in `npm run bench`) and a second of start-up.
//
// Lazy imports stay lazy (code splitting): discord.js, ccxt's venues, the live broker and the
// PostgreSQL client load only in a process that needs them. Each file is written only when its
// bytes changed, through a temporary file and a rename, so the web, worker and bot processes of a
// Procfile can build at the same moment without one reading another's half-written file.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OUT = path.join(ROOT, "dist");
/** A chunk no build has written for this long belongs to old sources and no running process. */
const STALE_CHUNK_MS = 24 * 3600_000;

const started = Date.now();
const result = await build({
  absWorkingDir: ROOT,
  entryPoints: { main: "src/main.ts", "chart-render-child": "src/render/chart-render-child.ts" },
  outdir: OUT,
  bundle: true,
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  platform: "node",
  format: "esm",
  target: "node20.19",
  packages: "external",
  sourcemap: "linked",
  legalComments: "none",
  logLevel: "warning",
  write: false,
});

let written = 0;
const current = new Set();
for (const file of result.outputFiles) {
  current.add(file.path);
  let same = false;
  try {
    same = readFileSync(file.path).equals(file.contents);
  } catch {
    // not there yet
  }
  if (same) continue;
  mkdirSync(path.dirname(file.path), { recursive: true });
  const temp = `${file.path}.${process.pid}.tmp`;
  writeFileSync(temp, file.contents);
  renameSync(temp, file.path);
  written += 1;
}
for (const dir of [OUT, path.join(OUT, "chunks")]) {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (current.has(full) || statSync(full).isDirectory()) continue;
    if (Date.now() - statSync(full).mtimeMs > STALE_CHUNK_MS) rmSync(full, { force: true });
  }
}
if (process.env.PERPBOT_BUILD_QUIET !== "1") {
  process.stderr.write(`build: dist/ ${written === 0 ? "up to date" : `${written} of ${result.outputFiles.length} files written`} (${Date.now() - started} ms)\n`);
}
