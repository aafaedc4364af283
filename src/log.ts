import { createRequire } from "node:module";
import pino, { type Logger } from "pino";
import type PinoPretty from "pino-pretty";

export type { Logger };

const REDACTED = "[redacted]";

/** Keys whose values are never logged, wherever they sit in a log object. */
const SECRET_KEY_PATHS = [
  "token", "*.token", "apiKey", "*.apiKey", "secret", "*.secret", "password", "*.password",
  "authorization", "*.authorization", "headers.authorization", "*.headers.authorization",
  "req.headers.authorization", "req.headers[\"x-telegram-bot-api-secret-token\"]",
];

/**
 * A pino logger that redacts secrets twice: by key (above) and by value — every configured
 * secret is replaced in the serialized line, because tokens also travel inside URLs and error
 * messages (Telegram puts the bot token in every request path).
 */
export function createLogger(options: { level: string; secrets: readonly string[]; destination?: pino.DestinationStream; pretty?: boolean }): Logger {
  const secrets = options.secrets.filter((s) => s.length >= 6);
  const scrub = (line: string): string => secrets.reduce((acc, secret) => acc.split(secret).join(REDACTED), line);
  return pino(
    {
      level: options.level,
      redact: { paths: SECRET_KEY_PATHS, censor: REDACTED },
      hooks: secrets.length === 0 ? {} : { streamWrite: scrub },
      base: { app: "perpbot" },
    },
    // Readable lines on a terminal; JSON (one object per line) for log collectors and Procfile hosts.
    options.destination ?? (options.pretty === true ? prettyStream() : pino.destination(1)),
  );
}

/**
 * pino-pretty and what it pulls in, loaded only when a terminal asks for readable lines: a
 * process logging JSON (a service, a Procfile host) never holds them. It is CommonJS, so a
 * synchronous require keeps createLogger synchronous.
 */
function prettyStream(): pino.DestinationStream {
  const pretty = createRequire(import.meta.url)("pino-pretty") as typeof PinoPretty;
  return pretty({ colorize: true, translateTime: "SYS:HH:MM:ss", ignore: "pid,hostname,app" });
}

/** Replaces every secret in a text meant for a human (chat replies, error messages). */
export function redactText(text: string, secrets: readonly string[]): string {
  return secrets.filter((s) => s.length >= 6).reduce((acc, secret) => acc.split(secret).join(REDACTED), text);
}
