import { describe, expect, it } from "vitest";
import { backfillFunding } from "../../src/app/record-market-streams";
import { importFromVenue } from "../../src/history/import/venue-import";
import { BTC, JAN_2024, useMarketDataStandIn } from "../support/ccxt-market-data-setup";
import { useRecordingApps } from "../support/test-env";

/**
 * Binance stamps settlements a few ms late (…:00.004). The poll's backfill and `npm run data:import`
 * write the same table: both must key a print by its settlement, or one settlement becomes two rows
 * (and a replay counting rows would score it twice). Real ccxt through the Binance stand-in.
 */
const HOUR = 3_600_000;
const { server, adapter } = useMarketDataStandIn();
const newApp = useRecordingApps();

describe("funding prints recorded by the poll", () => {
  it("are stored at their settlement minute, and an import of the same span adds no second row", async () => {
    const now = JAN_2024 + 20 * HOUR;
    server.setFundingHistory("binanceusdm", BTC, [
      { ts: JAN_2024 + 4, rate: 0.0001 },
      { ts: JAN_2024 + 8 * HOUR + 11, rate: 0.0002 },
      { ts: JAN_2024 + 16 * HOUR + 1, rate: 0.0003 },
    ]);
    const env = await newApp({ now, settings: { symbols: [BTC], venues: ["binanceusdm"] } });
    const clock = (): number => env.app.clock();
    const source = adapter("binanceusdm", { now: clock });
    // The week-long first backfill reaches back before the seeded prints.
    await backfillFunding(env.app, source, BTC);
    const stamps = async (): Promise<number[]> =>
      (await env.app.db.fundingPrint.findMany({ where: { venue: "binanceusdm", symbol: BTC }, orderBy: { ts: "asc" } })).map((r) => r.ts.getTime());
    expect(await stamps()).toEqual([JAN_2024, JAN_2024 + 8 * HOUR, JAN_2024 + 16 * HOUR]);

    const imported = await importFromVenue({ db: env.app.db, source, kind: "funding", symbol: BTC, sinceMs: JAN_2024 - HOUR, now: clock });
    expect(imported.stored).toBe(0);
    expect(await stamps()).toHaveLength(3);
  });
});
