import { describe, expect, it } from "vitest";
import { settingsFromConfig } from "../../src/app/settings-from-config";
import { ConfigError, loadConfig } from "../../src/config";

const rolesOf = (env: Record<string, string>) => settingsFromConfig(loadConfig(env)).chatRoles;

describe("chat roles from the environment", () => {
  it("reads the three lists per platform", () => {
    expect(rolesOf({
      TELEGRAM_VIEWER_USER_IDS: "101, 102", TELEGRAM_APPROVER_USER_IDS: "103", TELEGRAM_ADMIN_USER_IDS: "104",
      DISCORD_VIEWER_USER_IDS: "284101956723015601", DISCORD_ADMIN_USER_IDS: "284101956723015603",
    })).toEqual({
      telegram: { "101": "viewer", "102": "viewer", "103": "approver", "104": "admin" },
      discord: { "284101956723015601": "viewer", "284101956723015603": "admin" },
    });
    expect(rolesOf({})).toEqual({ telegram: {}, discord: {} });
  });

  it("keeps the older *_ALLOWED_USER_IDS working: those users are admins, as they could do everything before", () => {
    expect(rolesOf({ TELEGRAM_ALLOWED_USER_IDS: "111,112", DISCORD_ALLOWED_USER_IDS: "222" })).toEqual({
      telegram: { "111": "admin", "112": "admin" },
      discord: { "222": "admin" },
    });
  });

  it("gives an id listed twice the higher role, whatever the order of the lists", () => {
    expect(rolesOf({
      TELEGRAM_ADMIN_USER_IDS: "1", TELEGRAM_VIEWER_USER_IDS: "1,2,3", TELEGRAM_APPROVER_USER_IDS: "2",
      TELEGRAM_ALLOWED_USER_IDS: "3",
      DISCORD_APPROVER_USER_IDS: "9", DISCORD_VIEWER_USER_IDS: "9",
    })).toEqual({ telegram: { "1": "admin", "2": "approver", "3": "admin" }, discord: { "9": "approver" } });
  });

  it("keeps the platforms apart: an id on one app gives nothing on the other", () => {
    expect(rolesOf({ TELEGRAM_ADMIN_USER_IDS: "5" }).discord).toEqual({});
  });

  it.each([
    "TELEGRAM_VIEWER_USER_IDS", "TELEGRAM_APPROVER_USER_IDS", "TELEGRAM_ADMIN_USER_IDS", "TELEGRAM_ALLOWED_USER_IDS",
    "DISCORD_VIEWER_USER_IDS", "DISCORD_APPROVER_USER_IDS", "DISCORD_ADMIN_USER_IDS", "DISCORD_ALLOWED_USER_IDS",
  ])("refuses a non-numeric id in %s, naming the variable", (name) => {
    for (const value of ["@alice", "111,bob", "-5", "1.5"]) {
      let error: unknown;
      try {
        loadConfig({ [name]: value });
      } catch (caught) {
        error = caught;
      }
      expect(error, `${name}=${value}`).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems, `${name}=${value}`).toHaveLength(1);
      expect(problems[0]).toMatch(new RegExp(`^${name} must be numeric user ids, comma-separated`));
    }
  });
});
