import { describe, expect, it } from "vitest";
import { createLogger, redactText } from "../../src/log";

const TOKEN = "7012345678:AAH-very-secret-token_value";
const WEBHOOK_SECRET = "hook-secret-42abc";

function capture(secrets: readonly string[] = [TOKEN, WEBHOOK_SECRET]): { logger: ReturnType<typeof createLogger>; text: () => string; records: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const logger = createLogger({ level: "debug", secrets, destination: { write: (line: string) => { lines.push(line); } } });
  return {
    logger,
    text: () => lines.join(""),
    records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe("createLogger", () => {
  it("writes JSON lines through the given destination", () => {
    const { logger, records } = capture();
    logger.info({ symbol: "MNT/USDT:USDT" }, "polled");
    logger.debug("debug shows at debug level");
    expect(records()).toHaveLength(2);
    expect(records()[0]).toMatchObject({ app: "perpbot", level: 30, symbol: "MNT/USDT:USDT", msg: "polled" });
  });

  it("redacts a secret inside a message string (the token travels in Telegram URLs)", () => {
    const { logger, text, records } = capture();
    logger.warn(`GET https://api.telegram.org/bot${TOKEN}/getUpdates failed`);
    expect(text()).not.toContain(TOKEN);
    expect(records()[0]?.msg).toBe("GET https://api.telegram.org/bot[redacted]/getUpdates failed");
  });

  it("redacts a secret inside an error's message and stack", () => {
    const { logger, text, records } = capture();
    logger.error({ err: new Error(`401 Unauthorized for bot${TOKEN}`) }, "telegram call failed");
    logger.error(new Error(`webhook secret ${WEBHOOK_SECRET} mismatch`));
    expect(text()).not.toContain(TOKEN);
    expect(text()).not.toContain(WEBHOOK_SECRET);
    const [first, second] = records() as [{ err: { message: string; stack: string } }, { err: { message: string } }];
    expect(first.err.message).toBe("401 Unauthorized for bot[redacted]");
    expect(first.err.stack).toContain("bot[redacted]");
    expect(second.err.message).toBe("webhook secret [redacted] mismatch");
  });

  it("redacts a secret deep inside a nested object", () => {
    const { logger, text, records } = capture();
    logger.info({ request: { options: { url: `https://api.telegram.org/bot${TOKEN}/sendMessage`, body: [WEBHOOK_SECRET] } } }, "sent");
    expect(text()).not.toContain(TOKEN);
    expect(text()).not.toContain(WEBHOOK_SECRET);
    expect(records()[0]).toMatchObject({ request: { options: { url: "https://api.telegram.org/bot[redacted]/sendMessage", body: ["[redacted]"] } } });
  });

  it("redacts values under secret-looking keys, configured secrets or not", () => {
    const { logger, text, records } = capture();
    logger.info({
      token: TOKEN, apiKey: "exchange-api-key-1", authorization: "Bearer abc.def",
      client: { token: "other-token", apiKey: "k2", secret: "s2", password: "pw" },
      req: { headers: { authorization: "Bearer ghi.jkl", "x-telegram-bot-api-secret-token": WEBHOOK_SECRET } },
    }, "keys");
    const record = records()[0];
    expect(record).toMatchObject({
      token: "[redacted]", apiKey: "[redacted]", authorization: "[redacted]",
      client: { token: "[redacted]", apiKey: "[redacted]", secret: "[redacted]", password: "[redacted]" },
      req: { headers: { authorization: "[redacted]", "x-telegram-bot-api-secret-token": "[redacted]" } },
    });
    for (const leaked of [TOKEN, "exchange-api-key-1", "Bearer abc.def", "other-token", "Bearer ghi.jkl", WEBHOOK_SECRET]) expect(text()).not.toContain(leaked);
  });

  it("ignores secrets shorter than 6 characters rather than shredding every line", () => {
    const { logger, records } = capture(["abc"]);
    logger.info("abcdef stays readable");
    expect(records()[0]?.msg).toBe("abcdef stays readable");
  });

  it("leaves lines without secrets untouched", () => {
    const { logger, records } = capture();
    logger.info({ rate: 0.0001 }, "funding normal");
    expect(records()[0]).toMatchObject({ rate: 0.0001, msg: "funding normal" });
  });
});

describe("redactText", () => {
  it("replaces every occurrence of every secret in chat text", () => {
    const text = `Error: 401 at https://api.telegram.org/bot${TOKEN}/getMe (bot${TOKEN}), secret ${WEBHOOK_SECRET}`;
    expect(redactText(text, [TOKEN, WEBHOOK_SECRET])).toBe("Error: 401 at https://api.telegram.org/bot[redacted]/getMe (bot[redacted]), secret [redacted]");
  });

  it("leaves text alone without secrets, or with only too-short ones", () => {
    expect(redactText("all fine", [])).toBe("all fine");
    expect(redactText("pay 12345 now", ["12345"])).toBe("pay 12345 now");
  });
});
