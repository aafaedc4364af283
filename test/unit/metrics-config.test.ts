import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config";
import { loadConfig, secretsOf } from "../../src/config";
import { loadMetricsConfig } from "../../src/metrics/metrics-config";

const problem = (env: NodeJS.ProcessEnv): string => {
  try {
    loadMetricsConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems.join("\n");
  }
  throw new Error("no problem reported");
};

describe("metrics and queue dashboard configuration", () => {
  it("is open metrics and no dashboard when nothing is set (empty values mean unset)", () => {
    expect(loadMetricsConfig({})).toEqual({ metricsToken: null, queueDashboard: null });
    expect(loadMetricsConfig({ METRICS_TOKEN: "", QUEUE_DASHBOARD_USER: "", QUEUE_DASHBOARD_PASSWORD: "" })).toEqual({ metricsToken: null, queueDashboard: null });
  });

  it("turns the dashboard on read-only by default, and off read-only only when told", () => {
    const on = { QUEUE_DASHBOARD_USER: "ops", QUEUE_DASHBOARD_PASSWORD: "correct-horse-battery" };
    expect(loadMetricsConfig(on).queueDashboard).toEqual({ user: "ops", password: "correct-horse-battery", readOnly: true });
    expect(loadMetricsConfig({ ...on, QUEUE_DASHBOARD_READONLY: "false" }).queueDashboard?.readOnly).toBe(false);
    expect(loadMetricsConfig({ ...on, METRICS_TOKEN: "0123456789abcdef" })).toMatchObject({ metricsToken: "0123456789abcdef" });
  });

  it("refuses half a dashboard configuration, weak secrets and a bad switch, one line each, without echoing secrets", () => {
    expect(problem({ QUEUE_DASHBOARD_USER: "ops" })).toMatch(/QUEUE_DASHBOARD_USER and QUEUE_DASHBOARD_PASSWORD must be set together/);
    expect(problem({ QUEUE_DASHBOARD_PASSWORD: "correct-horse-battery" })).toMatch(/must be set together/);
    const short = problem({ QUEUE_DASHBOARD_USER: "ops", QUEUE_DASHBOARD_PASSWORD: "hunter2" });
    expect(short).toMatch(/^QUEUE_DASHBOARD_PASSWORD must be at least 12 characters$/);
    expect(problem({ QUEUE_DASHBOARD_USER: "o:ps", QUEUE_DASHBOARD_PASSWORD: "correct-horse-battery" })).toMatch(/^QUEUE_DASHBOARD_USER may not contain a colon/);
    const token = problem({ METRICS_TOKEN: "abc123secret" });
    expect(token).toMatch(/^METRICS_TOKEN must be at least 16 characters/);
    expect(token).not.toContain("abc123secret");
    expect(problem({ QUEUE_DASHBOARD_READONLY: "maybe" })).toMatch(/^QUEUE_DASHBOARD_READONLY .*\(got "maybe"\)$/);
  });

  it("names its secrets for the logger's redaction", () => {
    const config = loadConfig({ METRICS_TOKEN: "0123456789abcdef", QUEUE_DASHBOARD_USER: "ops", QUEUE_DASHBOARD_PASSWORD: "correct-horse-battery" });
    expect(secretsOf(config)).toEqual(expect.arrayContaining(["0123456789abcdef", "correct-horse-battery"]));
    expect(secretsOf(config)).not.toContain("ops");
  });
});
