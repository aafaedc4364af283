import type { AlertEvent } from "../core/alert-events";
import type { Logger } from "../log";
import type { Db } from "../store/database";
import type { RiskParams } from "../core/risk/sizing";
import type { EngineParams } from "../core/signals/engine";
import type { MarketSpec } from "../core/trading/proposal-terms";
import type { Broker } from "../exchange/broker";
import type { ChatRoles } from "../chat/roles";
import type { DigestSchedule } from "../core/digest-slots";

/** What the use cases need from the outside world; built once per process (src/main.ts). */
export interface App {
  readonly db: Db;
  readonly logger: Logger;
  /** The only clock the application reads; the demo runs a faster one. */
  readonly clock: () => number;
  readonly settings: AppSettings;
  /** Where orders go: the paper venue, or (later) a live exchange through ccxt. */
  readonly broker: Broker;
  /**
   * Hands committed outbox intents to the queue now (the fast path). Losing this call loses
   * nothing: the reconciler dispatches every pending intent it finds.
   */
  readonly dispatch: (intentIds: readonly string[]) => Promise<void>;
  /** A plain chat message, through the outbox: written, then dispatched. */
  readonly notify: (notice: Notice) => Promise<void>;
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
  /** Take-profit distance as a multiple of the stop distance. */
  readonly rewardToRisk: number;
  /** Risk profiles whose proposals execute without waiting for a person (opt-in; empty by default). */
  readonly autoExecuteProfiles: readonly ("conservative" | "aggressive")[];
  /** Re-checked at approval: how far the price may have moved since the proposal, and the widest spread. */
  readonly maxPriceDriftFraction: number;
  readonly maxSpreadFraction: number;
  /** Lot and tick sizes, minimums and maintenance margin used until venues report their own. */
  readonly market: MarketSpec;
  /**
   * Chat roles per platform, by numeric user id, from the environment at start: the one place
   * authorization reads (`roleOf` in src/chat/roles.ts). The console operator is always admin.
   */
  readonly chatRoles: ChatRoles;
  readonly live: LiveSettings;
  readonly marketData: MarketDataSettings;
  /** When the digest goes out (src/app/digest.ts); absent: no digest is scheduled. */
  readonly digest?: DigestSchedule;
  /** Shares of the entry→liquidation distance that warn once each (src/app/liquidation-warnings.ts); absent or empty: no warnings. */
  readonly liquidationWarningAt?: readonly number[];
}

/** What the poll reads and records, and how old data may be before no signal uses it. */
export interface MarketDataSettings {
  readonly bookDepth: number;
  readonly maxDataAgeMs: number;
  readonly retentionDays: number;
  readonly bookRetentionDays: number;
}

/** Live trading only (paper ignores them). */
export interface LiveSettings {
  readonly marginMode: "isolated" | "cross";
  /** How long an entry that may have been sent is looked up before it is declared never placed. */
  readonly unknownOrderGiveUpMs: number;
  /** A position on the venue that the journal does not know: adopted into the journal, or only reported. */
  readonly unknownPositions: "report" | "adopt";
}

/**
 * Outbound chat messages, rendered by the bot role from the database at send time. A card is
 * posted the first time and edited after, on every platform, to the trade's current state.
 */
export type Notice =
  | { readonly kind: "card"; readonly proposalId: string }
  | { readonly kind: "text"; readonly text: string; readonly event?: AlertEvent };

/** An error meant for the person in the chat: its message says what happened and what to do. */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UserError";
  }
}
