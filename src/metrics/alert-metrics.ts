import type { App } from "../app/context";
import type { Platform } from "../chat/transport";
import type { Intent } from "../core/trading/intents";
import { bounded, counter, gauge, type MetricsSource } from "./metrics-source";

const PLATFORMS = ["telegram", "discord", "console"] as const satisfies readonly Platform[];
const INTENT_KINDS = ["execute", "close", "protect", "resolve-order", "card", "text", "model-review"] as const satisfies readonly Intent["kind"][];
const INTENT_STATUSES = ["pending", "done", "failed"] as const;
/** The per-platform tallies of src/app/undelivered-notices.ts (read here without clearing them: only /status clears). */
const UNDELIVERED_PREFIX = "undelivered:";

/**
 * Alert delivery: card copies posted per platform (ChatMessage rows, never deleted), alerts a
 * platform never took after every retry (the tally /status reports and then clears), and the
 * outbox by kind and status (card and text intents are the alerts; failed = gave up). The notify
 * queue's own failed jobs are in perpbot_queue_jobs{queue="notify",state="failed"}.
 */
export function alertMetrics(app: App): MetricsSource {
  return {
    name: "alerts",
    read: async () => {
      const [messages, undelivered, intents] = await Promise.all([
        app.db.chatMessage.groupBy({ by: ["platform"], _count: { _all: true } }),
        app.db.setting.findMany({ where: { key: { startsWith: UNDELIVERED_PREFIX } } }),
        app.db.intent.groupBy({ by: ["kind", "status"], _count: { _all: true } }),
      ]);
      return (registry) => {
        const posted = counter(registry, "perpbot_alert_cards_posted_total", "Proposal card copies posted, per platform (ChatMessage rows).", ["platform"]);
        for (const platform of PLATFORMS) posted.inc({ platform }, 0);
        for (const row of messages) posted.inc({ platform: bounded(row.platform, PLATFORMS) }, row._count._all);
        const lost = gauge(registry, "perpbot_alerts_undelivered", "Alerts a platform did not take after every retry, since the last /status showed them (it clears the tally).", ["platform"]);
        for (const platform of PLATFORMS) lost.set({ platform }, 0);
        for (const row of undelivered) lost.inc({ platform: bounded(row.key.slice(UNDELIVERED_PREFIX.length), PLATFORMS) }, tallyCount(row.value));
        const outbox = gauge(registry, "perpbot_outbox_intents", "Outbox intents (work a state change caused) by kind and status; card and text are alerts, failed means given up.", ["kind", "status"]);
        for (const row of intents) outbox.inc({ kind: bounded(row.kind, INTENT_KINDS), status: bounded(row.status, INTENT_STATUSES) }, row._count._all);
      };
    },
  };
}

function tallyCount(value: string): number {
  try {
    const count = (JSON.parse(value) as { count?: unknown }).count;
    return typeof count === "number" && Number.isFinite(count) ? count : 0;
  } catch {
    return 0;
  }
}
