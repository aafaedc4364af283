import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CONFIG_VARIABLES, loadConfig } from "../../src/config";

const ROOT = path.resolve(import.meta.dirname, "../..");

describe(".env.example", () => {
  it("documents exactly the variables the program reads", () => {
    const example = readFileSync(path.join(ROOT, ".env.example"), "utf8");
    const documented = [...example.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]).sort();
    const read = [...CONFIG_VARIABLES].sort();
    expect(documented).toEqual(read);
  });

  it("is itself a valid configuration (a copied .env starts as is)", () => {
    const example = readFileSync(path.join(ROOT, ".env.example"), "utf8");
    const env = Object.fromEntries([...example.matchAll(/^([A-Z_]+)=(.*)$/gm)].map((m) => [m[1] ?? "", m[2] ?? ""]));
    expect(loadConfig(env).SYMBOLS).toEqual(["MNT/USDT:USDT"]);
  });
});
