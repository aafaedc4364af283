import type { LiveBroker } from "../exchange/broker";
import { venueName } from "../exchange/errors";
import type { Db } from "../store/database";

/** Days of paper journal required before live trading, unless explicitly overridden. */
export const PAPER_DAYS_REQUIRED = 14;
const DAY_MS = 86_400_000;

export interface LiveGateInput {
  readonly db: Db;
  readonly venue: string;
  /** Variables the venue's credentials need that are not set. */
  readonly missingCredentials: readonly string[];
  readonly skipPaperPeriod: boolean;
  /** Null when the keys are missing (no client can be made). */
  readonly broker: LiveBroker | null;
  readonly now: number;
}

/**
 * Everything that must hold before a real order may be sent: the venue's keys, 14 days of paper
 * journal (or the documented override), no paper trade still open, a key that works (a balance
 * read, which moves nothing) and cannot withdraw where the venue tells. Returns every failed
 * condition, in words, so one start names them all.
 */
export async function checkLiveGate(input: LiveGateInput): Promise<{ readonly problems: readonly string[]; readonly equityUsd: string | null }> {
  const problems: string[] = [];
  const name = venueName(input.venue);
  if (input.missingCredentials.length > 0) {
    problems.push(`${input.missingCredentials.join(", ")} ${input.missingCredentials.length === 1 ? "is" : "are"} not set: live trading on ${name} needs an API key with trade permission and without withdrawal permission (README, "Going live").`);
  }
  if (!input.skipPaperPeriod) {
    const first = await input.db.signal.findFirst({ orderBy: { ts: "asc" }, select: { ts: true } });
    const days = first === null ? 0 : (input.now - first.ts.getTime()) / DAY_MS;
    if (days < PAPER_DAYS_REQUIRED) {
      const readyOn = first === null ? null : new Date(first.ts.getTime() + PAPER_DAYS_REQUIRED * DAY_MS).toISOString().slice(0, 10);
      problems.push(first === null
        ? `there is no paper journal yet: run perpbot in paper mode for ${PAPER_DAYS_REQUIRED} days first (or set LIVE_SKIP_PAPER_PERIOD=true to accept trading an untried setup).`
        : `the paper journal covers ${days.toFixed(1)} days; ${PAPER_DAYS_REQUIRED} are required (ready on ${readyOn}), or set LIVE_SKIP_PAPER_PERIOD=true to accept trading an untried setup.`);
    }
  }
  const openPaper = await input.db.position.findMany({ where: { mode: "paper", status: { in: ["open", "closing"] } }, select: { proposalId: true } });
  if (openPaper.length > 0) {
    problems.push(`${openPaper.length} paper position(s) are still open (${openPaper.map((p) => p.proposalId).join(", ")}): let them close, or close them in paper mode, before switching to live.`);
  }
  let equityUsd: string | null = null;
  if (input.broker !== null) {
    try {
      const access = await input.broker.checkAccess(input.venue);
      equityUsd = access.equityUsd.toString();
      if (access.canWithdraw === true) problems.push(`the ${name} API key can withdraw funds: create a key with trade permission only (no withdrawals) and use that one.`);
    } catch (error) {
      problems.push(`the ${name} API key did not work when reading the balance: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { problems, equityUsd };
}
