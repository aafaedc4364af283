import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../src/log";
import { createOutageLog, errorLine } from "../../src/queue/outage-log";

/** A logger whose lines land in an array, and the outage log under a fake clock. */
function setUp(probe: () => Promise<boolean>) {
  const lines: { level: number; msg: string; [key: string]: unknown }[] = [];
  const logger = createLogger({ level: "debug", secrets: [], destination: { write: (line: string) => { lines.push(JSON.parse(line) as never); } } });
  const outage = createOutageLog({ what: "Redis", logger, clock: () => Date.now(), probe, reportEveryMs: 60_000, probeEveryMs: 5_000, settleMs: 10_000 });
  return { lines, outage };
}

afterEach(() => vi.useRealTimers());

describe("outage log", () => {
  it("writes one line when it starts, one a minute while it lasts, one when it ends — not one per error", async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 11, 2) });
    let up = false;
    const { lines, outage } = setUp(() => Promise.resolve(up));
    // 90 s of an outage with 14 connection errors a second, as seen with every queue reconnecting.
    for (let ms = 0; ms < 90_000; ms += 1000) {
      for (let i = 0; i < 14; i++) outage.failed(new Error(`connect ECONNREFUSED 127.0.0.1:6390\n    at TCPConnectWrap.afterConnect [as oncomplete]`));
      await vi.advanceTimersByTimeAsync(1000);
    }
    expect(outage.down).toBe(true);
    expect(lines.map((l) => l.msg)).toEqual([
      "Redis is unreachable; work that needs it waits, and this log says once a minute while it lasts",
      "Redis is still unreachable",
    ]);
    expect(lines[0]?.["error"]).toBe("connect ECONNREFUSED 127.0.0.1:6390");
    expect(lines[1]?.["downForSeconds"]).toBe(60);
    expect(lines[1]?.["errorsSinceLastLine"]).toBe(60 * 14);
    up = true;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(outage.down).toBe(false);
    expect(lines.at(-1)).toMatchObject({ msg: "Redis is reachable again", downForSeconds: 95, errorsWhileDown: 90 * 14 - 1 });
    expect(lines).toHaveLength(3);
  });

  it("counts errors of connections still reconnecting just after the recovery as part of it, and a later failure as a new outage", async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 11, 2) });
    let up = false;
    const { lines, outage } = setUp(() => Promise.resolve(up));
    outage.failed(new Error("ECONNREFUSED"));
    up = true;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(outage.down).toBe(false);
    outage.failed(new Error("ECONNRESET"));
    expect(outage.down).toBe(false);
    await vi.advanceTimersByTimeAsync(10_000);
    up = false;
    outage.failed(new Error("ECONNREFUSED again"));
    expect(outage.down).toBe(true);
    expect(lines.map((l) => l.level)).toEqual([50, 30, 50]);
  });

  it("a probe that fails or throws keeps it down; stop() ends the probing", async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 11, 2) });
    const probe = vi.fn(() => Promise.reject(new Error("still down")));
    const { outage } = setUp(probe);
    outage.failed(new Error("x"));
    await vi.advanceTimersByTimeAsync(15_000);
    expect(probe).toHaveBeenCalledTimes(3);
    expect(outage.down).toBe(true);
    outage.stop();
    await vi.advanceTimersByTimeAsync(15_000);
    expect(probe).toHaveBeenCalledTimes(3);
  });

  it("keeps only the first line of an error, without the stack", () => {
    expect(errorLine(new Error("a\n  at b"))).toBe("a");
    expect(errorLine("x".repeat(300))).toHaveLength(200);
  });
});
