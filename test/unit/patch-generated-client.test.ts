import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { patchGeneratedClient } from "../../scripts/patch-generated-client.mjs";

/**
 * The generated Prisma clients read their query compiler's wasm from its file instead of importing
 * it as a base64 module (which stayed in memory for good, ~8.5 MB: issues 8 and 11, memory).
 * `npm ci` generates and patches them (postinstall → scripts/prisma.mjs generate); every test that
 * opens a database then runs the patched loader.
 */
const ROOT = path.resolve(import.meta.dirname, "../..");
const scratch = mkdtempSync(path.join(tmpdir(), "perpbot-patch-client-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The loader exactly as Prisma 7.10's generator writes it. */
const AS_GENERATED = `config.compilerWasm = {
  getRuntime: async () => await import("@prisma/client/runtime/query_compiler_fast_bg.sqlite.mjs"),

  getQueryCompilerWasmModule: async () => {
    const { wasm } = await import("@prisma/client/runtime/query_compiler_fast_bg.sqlite.wasm-base64.mjs")
    return await decodeBase64AsWasm(wasm)
  },

  importName: "./query_compiler_fast_bg.js"
}
`;

function clientWith(source: string): string {
  const dir = mkdtempSync(path.join(scratch, "client-"));
  mkdirSync(path.join(dir, "internal"));
  writeFileSync(path.join(dir, "internal", "class.ts"), source);
  return dir;
}

describe("patchGeneratedClient", () => {
  it("replaces the base64 import with a read of the same file, once", () => {
    const dir = clientWith(AS_GENERATED);
    expect(patchGeneratedClient(dir)).toBe("patched");
    const patched = readFileSync(path.join(dir, "internal", "class.ts"), "utf8");
    expect(patched).not.toContain('await import("@prisma/client/runtime/query_compiler_fast_bg.sqlite.wasm-base64.mjs")');
    expect(patched).toContain('resolve("@prisma/client/runtime/query_compiler_fast_bg.sqlite.wasm-base64.mjs")');
    expect(patched).toContain('getRuntime: async () => await import("@prisma/client/runtime/query_compiler_fast_bg.sqlite.mjs")');
    expect(patchGeneratedClient(dir)).toBe("already patched");
    expect(readFileSync(path.join(dir, "internal", "class.ts"), "utf8")).toBe(patched);
  });

  it("refuses a loader it does not know instead of leaving it silently unpatched", () => {
    const dir = clientWith(AS_GENERATED.replace("decodeBase64AsWasm(wasm)", "loadSomehowElse(wasm)"));
    expect(() => patchGeneratedClient(dir)).toThrow(/not the one .* knows/);
  });

  it("the project's generated clients are patched (postinstall ran it)", () => {
    for (const output of ["src/store/generated", "src/store/generated-postgres"]) {
      const source = readFileSync(path.join(ROOT, output, "internal", "class.ts"), "utf8");
      expect(source).not.toMatch(/await import\("@prisma\/client\/runtime\/query_compiler_\w+_bg\.\w+\.wasm-base64\.mjs"\)/);
      expect(source).toContain("the query compiler is read from its file");
    }
  });

  it("what the patched loader decodes is the module the base64 import held, byte for byte", async () => {
    const file = path.join(ROOT, "node_modules/@prisma/client/runtime/query_compiler_fast_bg.sqlite.wasm-base64.mjs");
    const text = readFileSync(file, "latin1");
    const read = Buffer.from(text.slice(text.indexOf('"') + 1, text.lastIndexOf('"')), "base64");
    const { wasm } = (await import(file)) as { wasm: string };
    expect(read.equals(Buffer.from(wasm, "base64"))).toBe(true);
    const wasmApi = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly; // no WebAssembly types in the project's libs
    expect(wasmApi.validate(read)).toBe(true);
  });
});
