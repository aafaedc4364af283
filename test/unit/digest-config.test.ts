import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config";

/** The one-line problems loadConfig refuses `env` with. */
function problems(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe("digest and liquidation-warning settings", () => {
  it("default to 08:00 and 20:00 UTC, and warnings at 50% and 80% of the way to liquidation", () => {
    const config = loadConfig({});
    expect(config.DIGEST_TIMES).toEqual(["08:00", "20:00"]);
    expect(config.DIGEST_TIME_ZONE).toBe("UTC");
    expect(config.LIQUIDATION_WARNING_AT).toEqual([0.5, 0.8]);
  });

  it("take any number of times, once each and in order, and an IANA zone in its canonical spelling", () => {
    const config = loadConfig({ DIGEST_TIMES: "20:30, 07:15,07:15,12:00", DIGEST_TIME_ZONE: "america/new_york", LIQUIDATION_WARNING_AT: "0.9,0.25,0.9" });
    expect(config.DIGEST_TIMES).toEqual(["07:15", "12:00", "20:30"]);
    expect(config.DIGEST_TIME_ZONE).toBe("America/New_York");
    expect(config.LIQUIDATION_WARNING_AT).toEqual([0.25, 0.9]);
  });

  it("refuse a time that is not HH:MM on a 24-hour clock, with one line naming the variable and the form", () => {
    for (const times of ["8:00", "24:00", "08:60", "08:00,noon", "0800"]) {
      expect(problems({ DIGEST_TIMES: times })).toEqual([`DIGEST_TIMES must be times of day like 08:00,20:00 (24-hour HH:MM, comma-separated) (got "${times}")`]);
    }
    expect(problems({ DIGEST_TIMES: " , " })).toEqual(['DIGEST_TIMES needs at least one time like 08:00 (got " , ")']);
  });

  it("refuse a zone that is not an IANA zone", () => {
    for (const zone of ["Mars/Olympus_Mons", "GMT+2", "London"]) {
      expect(problems({ DIGEST_TIME_ZONE: zone })).toEqual([`DIGEST_TIME_ZONE must be an IANA time zone like Europe/London, America/New_York or UTC (got "${zone}")`]);
    }
  });

  it("refuse warning levels outside (0, 1) or not numbers", () => {
    for (const levels of ["0", "1", "0.5,1.2", "-0.1", "half", "50%"]) {
      expect(problems({ LIQUIDATION_WARNING_AT: levels })).toEqual([`LIQUIDATION_WARNING_AT must be shares between 0 and 1 like 0.5,0.8 (comma-separated) (got "${levels}")`]);
    }
  });
});
