import { describe, expect, it } from "vitest";
import { dependencyHealth, healthStatus } from "../../src/web/health";

/** /health's verdict: down (503) only for a required dependency; chat apps and venues make it degraded. */
describe("health status", () => {
  const now = Date.UTC(2026, 11, 3, 8);
  const up = dependencyHealth({ downSince: null }, true, now, true);
  const down = dependencyHealth({ downSince: now - 34_400 }, true, now, false);

  it("says since when and for how long a dependency is down", () => {
    expect(up).toEqual({ up: true, required: true });
    expect(down).toEqual({ up: false, required: true, downSince: "2026-12-03T07:59:25.600Z", downForSeconds: 34 });
    // A failed check with no outage on record (just after one ended) is not "up".
    expect(dependencyHealth({ downSince: null }, true, now, false)).toEqual({ up: false, required: true });
  });

  it("is down when a required dependency is, degraded for chat apps and venues, else ok", () => {
    expect(healthStatus([up, up], [], [])).toBe("ok");
    expect(healthStatus([up, down], [], [])).toBe("down");
    expect(healthStatus([up, { ...down, required: false }], [], [])).toBe("degraded");
    expect(healthStatus([up, up], [{ platform: "telegram", state: "failing", since: "" }], [])).toBe("degraded");
    expect(healthStatus([up, up], [{ platform: "telegram", state: "connected", since: "" }], [{ venue: "bybit", state: "banned", until: "" }])).toBe("degraded");
  });
});
