import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * `npm start` and the Procfile's `start:*` scripts run the bundle in dist/ with plain node. Each
 * must rebuild it first (its `pre` script), or a process would run whatever bundle an older
 * checkout left behind; and each must run node directly (no shell or npm in between), so SIGTERM
 * reaches the program and active jobs finish before it exits.
 */
const ROOT = path.resolve(import.meta.dirname, "../..");
const scripts = (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
const starts = Object.keys(scripts).filter((name) => name === "start" || name.startsWith("start:"));

describe("the start scripts", () => {
  it("are npm start and one per role of the Procfile", () => {
    const procfile = readFileSync(path.join(ROOT, "Procfile"), "utf8");
    for (const used of procfile.matchAll(/npm run (start:\w+)/g)) expect(starts).toContain(used[1]);
    expect(starts).toContain("start");
  });

  it.each(starts)("%s rebuilds the bundle first and then runs it with node alone", (name) => {
    expect(scripts[`pre${name}`]).toBe("node scripts/build.mjs");
    const words = (scripts[name] ?? "").split(/\s+/);
    expect(words[0]).toBe("node");
    expect(words).toContain("dist/main.js");
    expect(scripts[name]).not.toMatch(/&&|\||;|tsx/);
  });
});
