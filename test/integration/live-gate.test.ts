import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { checkLiveGate } from "../../src/app/live-gate";
import { createLiveBroker } from "../../src/exchange/live/live-broker";
import type { Db } from "../../src/store/database";
import { ExchangeServer } from "../stand-ins/exchange-server";
import { seedProposal } from "../support/fixtures";
import { silentLogger, useRecordingApps } from "../support/test-env";

/** The live gate: every missing condition is named, and only a complete setup passes. */
const DAY = 86_400_000;
const server = new ExchangeServer();
const setup = useRecordingApps();

beforeAll(async () => server.start());
afterAll(async () => server.stop());
beforeEach(() => {
  server.reset();
  server.addMarket("bybit", "MNT/USDT:USDT");
});

const broker = (secret = "stand-in-secret") => createLiveBroker({
  venue: "bybit", credentials: { apiKey: "stand-in-key", secret }, logger: silentLogger, leverage: 5, marginMode: "isolated", hostOverride: server.url, timeoutMs: 2_000,
});

async function journalSince(app: { db: Db }, ts: number): Promise<void> {
  await app.db.signal.create({
    data: { symbol: "MNT/USDT:USDT", venue: "bybit", ts: new Date(ts), direction: "neutral", fired: false, score: 0, confidence: 0, horizonHours: 8, explanation: "seed", streamsJson: "[]", modelVersion: "prior-v1" },
  });
}

describe("the live gate", () => {
  it("names every missing condition at once: keys, paper period", async () => {
    const { app } = await setup({ now: Date.now() });
    const gate = await checkLiveGate({ db: app.db, venue: "bybit", missingCredentials: ["BYBIT_API_KEY", "BYBIT_API_SECRET"], skipPaperPeriod: false, broker: null, now: app.clock() });
    expect(gate.problems).toEqual([
      expect.stringMatching(/^BYBIT_API_KEY, BYBIT_API_SECRET are not set: live trading on Bybit needs an API key/),
      expect.stringMatching(/^there is no paper journal yet: run perpbot in paper mode for 14 days first \(or set LIVE_SKIP_PAPER_PERIOD=true/),
    ]);
  });

  it("counts the paper days, refuses open paper positions, and passes a working trade-only key after 14 days", async () => {
    const { app } = await setup({ now: Date.now() });
    await journalSince(app, app.clock() - 3 * DAY);
    const short = await checkLiveGate({ db: app.db, venue: "bybit", missingCredentials: [], skipPaperPeriod: false, broker: broker(), now: app.clock() });
    expect(short.problems).toEqual([expect.stringMatching(/^the paper journal covers 3\.0 days; 14 are required \(ready on \d{4}-\d{2}-\d{2}\)/)]);
    expect(short.equityUsd).toBe("10000");
    await journalSince(app, app.clock() - 15 * DAY);
    const id = await seedProposal(app, { status: "open" });
    await app.db.position.create({
      data: { proposalId: id, mode: "paper", venue: "bybit", symbol: "MNT/USDT:USDT", side: "short", quantity: "1", entryPrice: "0.6", entryTs: new Date(), leverage: 5, marginUsd: "1", stopPrice: "0.7", exitDueTs: new Date(), status: "open" },
    });
    const open = await checkLiveGate({ db: app.db, venue: "bybit", missingCredentials: [], skipPaperPeriod: false, broker: broker(), now: app.clock() });
    expect(open.problems).toEqual([expect.stringContaining(`1 paper position(s) are still open (${id})`)]);
    await app.db.position.update({ where: { proposalId: id }, data: { status: "closed" } });
    expect((await checkLiveGate({ db: app.db, venue: "bybit", missingCredentials: [], skipPaperPeriod: false, broker: broker(), now: app.clock() })).problems).toEqual([]);
  });

  it("refuses a key that can withdraw, and a key the venue does not accept, without showing the secret", async () => {
    const { app } = await setup({ now: Date.now() });
    server.accounts.bybit.credentials = { ...server.accounts.bybit.credentials, canWithdraw: true };
    const withdraw = await checkLiveGate({ db: app.db, venue: "bybit", missingCredentials: [], skipPaperPeriod: true, broker: broker(), now: app.clock() });
    expect(withdraw.problems).toEqual([expect.stringMatching(/^the Bybit API key can withdraw funds: create a key with trade permission only/)]);
    const wrong = await checkLiveGate({ db: app.db, venue: "bybit", missingCredentials: [], skipPaperPeriod: true, broker: broker("wrong-secret-value"), now: app.clock() });
    expect(wrong.problems).toEqual([expect.stringMatching(/^the Bybit API key did not work when reading the balance: /)]);
    expect(wrong.problems.join("\n")).not.toContain("wrong-secret-value");
  });
});
