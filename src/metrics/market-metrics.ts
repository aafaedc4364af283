import type { App } from "../app/context";
import { readVenueHealth, STREAMS, type MarketStream } from "../app/market-health";
import { readCooldowns } from "../app/venue-cooldown";
import { gauge, type MetricsSource } from "./metrics-source";

const HOUR_MS = 3_600_000;
/** A bar's data is as old as its close (as /status counts it): hourly bars are stamped with their open. */
const barLength = (stream: MarketStream): number => (stream === "perpCandles" || stream === "spotCandles" ? HOUR_MS : 0);

/**
 * Market data as the poll left it, from the per-venue health records /status reads
 * (src/app/market-health.ts, one Setting row per venue) and the venue cool-downs
 * (src/app/venue-cooldown.ts): per venue and stream, the age of the oldest symbol's latest data;
 * per venue, the latest poll's age and outcome per symbol, streams that did not come, and
 * whether the venue is cooling down. Venues and streams come from the configuration and the
 * code, so the series count is fixed.
 */
export function marketMetrics(app: App): MetricsSource {
  return {
    name: "market",
    read: async (now) => {
      const { venues, symbols } = app.settings;
      const [health, cooldowns] = await Promise.all([readVenueHealth(app, venues), readCooldowns(app, venues)]);
      return (registry) => {
        const dataAge = gauge(registry, "perpbot_market_data_age_seconds", "Age of the oldest symbol's data per venue and stream in the venue's latest poll (bars: since their close); absent when the stream did not come.", ["venue", "stream"]);
        const missing = gauge(registry, "perpbot_market_stream_missing_symbols", "Symbols whose stream did not come in the venue's latest poll (failed, not offered there).", ["venue", "stream"]);
        const pollAge = gauge(registry, "perpbot_market_poll_age_seconds", "Seconds since the venue's latest poll was recorded.", ["venue"]);
        const outcome = gauge(registry, "perpbot_market_poll_symbols", "Symbols by outcome in the venue's latest poll: recorded, failed (funding, ticker or book failed), unlisted, not_polled.", ["venue", "outcome"]);
        const cooling = gauge(registry, "perpbot_venue_cooldown_seconds", "Seconds until a venue that banned us or asked for a pause is polled again (0: not cooling down).", ["venue", "kind"]);
        for (const venue of venues) {
          const c = cooldowns.get(venue);
          for (const kind of ["banned", "rate-limited"] as const) cooling.set({ venue, kind }, c !== undefined && c.kind === kind ? Math.max(0, (c.until - now) / 1000) : 0);
          const record = health.get(venue);
          if (record === undefined) continue; // never polled: no series, as /status says "no poll yet"
          pollAge.set({ venue }, Math.max(0, (now - record.ts) / 1000));
          const counts = { recorded: 0, failed: 0, unlisted: 0, not_polled: 0 };
          for (const symbol of symbols) {
            const h = record.symbols[symbol];
            counts[h === undefined ? "not_polled" : h.status] += 1;
          }
          for (const [name, n] of Object.entries(counts)) outcome.set({ venue, outcome: name }, n);
          for (const stream of STREAMS) {
            let oldest: number | null = null;
            let absent = 0;
            for (const symbol of symbols) {
              const h = record.symbols[symbol];
              if (h?.status !== "recorded") continue;
              const s = h.streams[stream];
              if (s === undefined) continue; // not in the record (written by an older version): neither age nor missing
              if (!("ts" in s)) {
                absent += 1;
                continue;
              }
              const age = Math.max(0, now - s.ts - barLength(stream));
              oldest = oldest === null ? age : Math.max(oldest, age);
            }
            missing.set({ venue, stream }, absent);
            if (oldest !== null) dataAge.set({ venue, stream }, oldest / 1000);
          }
        }
      };
    },
  };
}
