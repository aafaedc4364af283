import type { App } from "../app/context";
import { tradingGate } from "../app/trading-state";
import { readCooldowns } from "../app/venue-cooldown";
import type { ChatHandlers, ChatTransport, CommandInfo, Platform } from "../chat/transport";
import type { OutageLog } from "../queue/outage-log";

/**
 * GET /health: what this process depends on and whether each is up, for the platform's router
 * (HTTP 200 or 503) and for a person (the JSON). Redis and the database are required by every
 * role: without either, no job runs and no command is answered, so either one down is a 503. The
 * chat apps and the venues are reported but not required: restarting the process would not bring
 * Telegram back or lift a venue's ban, so they make the status "degraded" with a 200.
 *
 * Nothing secret is in it: no URL, no token, no error text (messages may quote hosts and
 * credentials); states, times and venue names only.
 */

export interface DependencyHealth {
  readonly up: boolean;
  readonly required: boolean;
  /** While down: since when (ISO) and for how long. */
  readonly downSince?: string;
  readonly downForSeconds?: number;
}

export type ChatState = "connecting" | "connected" | "failing";

export interface ChatHealth {
  readonly platform: Platform;
  readonly state: ChatState;
  /** ISO time of the last change of state. */
  readonly since: string;
}

export interface VenueHealth {
  readonly venue: string;
  readonly state: "banned" | "rate-limited";
  /** ISO: not polled before this. */
  readonly until: string;
}

export type HealthStatus = "ok" | "degraded" | "down";

export interface HealthReport {
  /** False only when a required dependency is down (the 503 case); kept from the first /health. */
  readonly ok: boolean;
  readonly status: HealthStatus;
  readonly roles: readonly string[];
  readonly now: string;
  readonly redis: DependencyHealth;
  readonly database: DependencyHealth;
  /** Bot role only: each chat app's connection. */
  readonly chats?: readonly ChatHealth[];
  /** Venues not polled now because they banned us or asked for a pause (circuit open). */
  readonly venuesCoolingDown: readonly VenueHealth[];
  /** From the stored account; "unknown" when the database did not answer. */
  readonly trading: "active" | "paused" | "unknown";
}

export interface HealthDeps {
  readonly app: App;
  readonly roles: readonly string[];
  readonly redis: OutageLog;
  readonly database: OutageLog;
  /** The bot role's chat apps, as tracked by `trackChat`. */
  readonly chats?: () => readonly ChatHealth[];
  /** How long each live check may take (default 1 s): /health answers within about this. */
  readonly checkTimeoutMs?: number;
}

export interface Health {
  /** Checks Redis and the database now (in parallel, each within the timeout) and reports. */
  report(): Promise<{ httpStatus: 200 | 503; body: HealthReport }>;
}

const DEFAULT_CHECK_TIMEOUT_MS = 1_000;

/**
 * Pure: a dependency's entry from its outage log's state and this request's check. A check that
 * failed just after an outage ended does not start a new one in the log (those are connections
 * still reconnecting), but it is not "up" either.
 */
export function dependencyHealth(outage: Pick<OutageLog, "downSince">, required: boolean, now: number, answered: boolean): DependencyHealth {
  const since = outage.downSince;
  if (since === null) return { up: answered, required };
  return { up: false, required, downSince: new Date(since).toISOString(), downForSeconds: Math.max(0, Math.round((now - since) / 1000)) };
}

/** Pure: down when a required dependency is; degraded when anything else reported is not well; else ok. */
export function healthStatus(dependencies: readonly DependencyHealth[], chats: readonly ChatHealth[], venues: readonly VenueHealth[]): HealthStatus {
  if (dependencies.some((d) => d.required && !d.up)) return "down";
  if (dependencies.some((d) => !d.up) || chats.some((c) => c.state !== "connected") || venues.length > 0) return "degraded";
  return "ok";
}

export function createHealth(deps: HealthDeps): Health {
  const timeoutMs = deps.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const { app } = deps;
  return {
    async report() {
      // The checks feed the outage logs: a failure here starts an outage (one log line), an answer ends one.
      const [redisUp, databaseUp] = await Promise.all([deps.redis.check(timeoutMs), deps.database.check(timeoutMs)]);
      const [trading, venues] = databaseUp
        ? await Promise.all([within(timeoutMs, tradingState(app)), within(timeoutMs, coolingVenues(app))])
        : [null, null];
      const now = app.clock();
      const redis = dependencyHealth(deps.redis, true, now, redisUp);
      const database = dependencyHealth(deps.database, true, now, databaseUp);
      const chats = deps.chats?.() ?? [];
      const venuesCoolingDown = venues ?? [];
      const status = healthStatus([redis, database], chats, venuesCoolingDown);
      const body: HealthReport = {
        ok: status !== "down", status, roles: deps.roles, now: new Date(now).toISOString(), redis, database,
        ...(deps.chats ? { chats } : {}), venuesCoolingDown, trading: trading ?? "unknown",
      };
      return { httpStatus: status === "down" ? 503 : 200, body };
    },
  };
}

async function tradingState(app: App): Promise<"active" | "paused"> {
  return (await tradingGate(app)).open ? "active" : "paused";
}

async function coolingVenues(app: App): Promise<VenueHealth[]> {
  const now = app.clock();
  const held = await readCooldowns(app, app.settings.venues);
  return [...held.values()].filter((c) => c.until > now).map((c) => ({ venue: c.venue, state: c.kind, until: new Date(c.until).toISOString() }));
}

/** The value, or null when it failed or took longer than `ms`. */
async function within<T>(ms: number, work: Promise<T>): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), ms); });
  return Promise.race([work.catch(() => null), late]).finally(() => clearTimeout(timer));
}

/**
 * A chat transport as the bot role uses it, remembering whether its last start worked: the bot
 * role retries a failed start with backoff, so "failing" lasts until one works. Everything else
 * (broadcast, edit, stop, whatever a transport adds) reaches the transport itself unchanged.
 */
export function trackChat(transport: ChatTransport, clock: () => number): { transport: ChatTransport; health: () => ChatHealth } {
  let state: ChatState = "connecting";
  let since = clock();
  const set = (next: ChatState): void => {
    if (next !== state) since = clock();
    state = next;
  };
  const start = async (handlers: ChatHandlers, commands: readonly CommandInfo[]): Promise<void> => {
    try {
      await transport.start(handlers, commands);
      set("connected");
    } catch (error) {
      set("failing");
      throw error;
    }
  };
  const tracked = new Proxy(transport, {
    get(target, property) {
      if (property === "start") return start;
      const value: unknown = Reflect.get(target, property, target);
      // Bound to the transport itself: its private fields are not reachable through a proxy.
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { transport: tracked, health: () => ({ platform: transport.platform, state, since: new Date(since).toISOString() }) };
}
