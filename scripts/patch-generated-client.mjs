// After `prisma generate`: the generated clients load Prisma's query compiler (3.3 MB of
// WebAssembly) by importing a module whose source is the wasm as a 4.4 MB base64 string. An
// imported module is never unloaded, so the process kept that string twice for its whole life (the
// module's source text and the exported constant: about 8.5 MB of heap, seen in a heap snapshot
// of the whole bot). The patched loader reads the same file, decodes it once and lets the text go.
// Same bytes, same WebAssembly.Module; only what stays in memory differs.
//
// The patch fails loudly if the generated code no longer looks as expected (a Prisma upgrade):
// then look at the new output and adapt this script, or drop it.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const MARKER = "perpbot: the query compiler is read from its file";
const GENERATED = / {2}(getQueryCompilerWasmModule: async \(\) => \{\n) {4}const \{ wasm \} = await import\("(@prisma\/client\/runtime\/query_compiler_\w+_bg\.\w+\.wasm-base64\.mjs)"\)\n {4}return await decodeBase64AsWasm\(wasm\)\n/;

/** Patches `<output>/internal/class.ts` of one generated client; returns what it did. */
export function patchGeneratedClient(outputDir) {
  const file = path.join(outputDir, "internal", "class.ts");
  const source = readFileSync(file, "utf8");
  if (source.includes(MARKER)) return "already patched";
  const match = GENERATED.exec(source);
  if (match === null) throw new Error(`${file}: the query compiler loader is not the one scripts/patch-generated-client.mjs knows (Prisma upgraded?)`);
  const loader = [
    `    // ${MARKER} and decoded once (scripts/patch-generated-client.mjs): an imported base64 module stays in memory for good.`,
    `    const { readFileSync } = await import("node:fs")`,
    `    const { createRequire } = await import("node:module")`,
    `    const text = readFileSync(createRequire(import.meta.url).resolve("${match[2]}"), "latin1")`,
    `    return await decodeBase64AsWasm(text.slice(text.indexOf('"') + 1, text.lastIndexOf('"')))`,
    "",
  ].join("\n");
  writeFileSync(file, source.replace(GENERATED, `  ${match[1]}${loader}`));
  return "patched";
}
