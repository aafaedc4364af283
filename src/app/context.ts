import type { Logger } from "../log";
import type { Db } from "../store/database";
import type { RiskParams } from "../core/risk/sizing";
import type { EngineParams } from "../core/signals/engine";

/** What the use cases need from the outside world; built once per process (src/main.ts). */
export interface App {
  readonly db: Db;
  readonly logger: Logger;
  /** The only clock the application reads; the demo runs a faster one. */
  readonly clock: () => number;
  readonly settings: AppSettings;
  /** Queues trade execution; de-duplicated per proposal (jobId). */
  readonly enqueueExecution: (proposalId: string) => Promise<void>;
  /** Queues a chat notification for the bot role. */
  readonly notify: (notice: Notice) => Promise<void>;
  /** Queues a model review (recalibration), e.g. after the drawdown rule paused trading. */
  readonly requestModelReview: (reason: string) => Promise<void>;
}

export interface AppSettings {
  readonly symbols: readonly string[];
  readonly venues: readonly string[];
  readonly tradingVenue: string;
  readonly pollIntervalMinutes: number;
  readonly startingEquity: number;
  readonly proposalTtlMinutes: number;
  readonly takerFeeBps: number;
  readonly slippageBps: number;
  readonly fundingAlertMinutes: number;
  readonly risk: RiskParams;
  readonly engine: EngineParams;
  /** Numeric user ids allowed to act, per platform. The console operator is always allowed. */
  readonly allowedUsers: { readonly telegram: readonly string[]; readonly discord: readonly string[] };
}

/** Outbound chat messages, rendered by the bot role from the database at send time. */
export type Notice =
  | { readonly kind: "proposal"; readonly proposalId: string }
  | { readonly kind: "proposal-update"; readonly proposalId: string }
  | { readonly kind: "text"; readonly text: string };

/** An error meant for the person in the chat: its message says what happened and what to do. */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UserError";
  }
}
