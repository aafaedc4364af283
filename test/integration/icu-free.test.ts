import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REDIS_URL } from "../support/test-env";

/**
 * The bot in its default configuration never calls into ICU (issues 8 and 11, the 150 MB goal):
 * the first Intl formatter of a process maps the node binary's locale and time-zone data into it
 * for good, about 11 MB resident. A real child process watches every Intl entry point while it
 * reads the config, places the UTC digest, upserts every scheduler through BullMQ on Redis, has a
 * worker take the monthly recalibration's job (BullMQ then places the next one) and renders a card; the control does the same through BullMQ's own cron strategy and
 * toLocaleString, so the watch is shown to see them.
 */
const CHILD = path.resolve(import.meta.dirname, "../support/icu-free-child.ts");

function intlUses(mode: "perpbot" | "control"): string[] {
  const run = spawnSync(process.execPath, ["--import", "tsx", CHILD, mode], { encoding: "utf8", timeout: 60_000, env: { ...process.env, REDIS_URL } });
  if (run.status !== 0) throw new Error(`icu child (${mode}) exited ${run.status}: ${run.stderr.slice(-800)}`);
  return (JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "") as { uses: string[] }).uses;
}

describe("no ICU in the default configuration", () => {
  it("config, UTC digest slots, every scheduler upserted and run through BullMQ, and a proposal card call no Intl entry point", () => {
    expect(intlUses("perpbot")).toEqual([]);
  }, 90_000);

  it("control: BullMQ's own cron strategy and toLocaleString are seen by the same watch", () => {
    expect(intlUses("control")).toEqual(expect.arrayContaining(["Intl.DateTimeFormat", "Number.prototype.toLocaleString"]));
  }, 90_000);
});
