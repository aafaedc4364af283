import { rolesFromLists } from "../chat/roles";
import type { Config } from "../config";
import { DEFAULT_RISK_PARAMS } from "../core/risk/sizing";
import { DEFAULT_ENGINE_PARAMS } from "../core/signals/engine";
import type { AppSettings } from "./context";

/** Maps the validated environment onto the settings the use cases read. */
export function settingsFromConfig(config: Config): AppSettings {
  return {
    symbols: config.SYMBOLS,
    venues: config.VENUES,
    tradingVenue: config.TRADING_VENUE,
    pollIntervalMinutes: config.POLL_INTERVAL_MINUTES,
    startingEquity: config.PAPER_STARTING_EQUITY,
    proposalTtlMinutes: config.PROPOSAL_TTL_MINUTES,
    takerFeeBps: config.TAKER_FEE_BPS,
    slippageBps: config.SLIPPAGE_BPS,
    fundingAlertMinutes: config.FUNDING_ALERT_MINUTES,
    risk: { ...DEFAULT_RISK_PARAMS, leverage: config.LEVERAGE },
    engine: {
      ...DEFAULT_ENGINE_PARAMS,
      ensemble: { ...DEFAULT_ENGINE_PARAMS.ensemble, profile: config.RISK_PROFILE, horizonHours: config.SIGNAL_HORIZON_HOURS },
      fundingAnomaly: { ...DEFAULT_ENGINE_PARAMS.fundingAnomaly, zThreshold: config.FUNDING_Z_THRESHOLD },
    },
    rewardToRisk: config.REWARD_TO_RISK,
    autoExecuteProfiles: config.AUTO_EXECUTE,
    maxPriceDriftFraction: config.MAX_PRICE_DRIFT_PCT / 100,
    maxSpreadFraction: config.MAX_SPREAD_PCT / 100,
    market: { lotSize: config.LOT_SIZE, minQty: config.LOT_SIZE, minNotional: config.MIN_NOTIONAL_USD, tickSize: 0, maintenanceMarginRate: config.MAINTENANCE_MARGIN_PCT / 100 },
    // *_ALLOWED_USER_IDS is the older single list: it meant "may do everything", so it means admin.
    chatRoles: {
      telegram: rolesFromLists({
        viewer: config.TELEGRAM_VIEWER_USER_IDS, approver: config.TELEGRAM_APPROVER_USER_IDS,
        admin: [...config.TELEGRAM_ADMIN_USER_IDS, ...config.TELEGRAM_ALLOWED_USER_IDS],
      }),
      discord: rolesFromLists({
        viewer: config.DISCORD_VIEWER_USER_IDS, approver: config.DISCORD_APPROVER_USER_IDS,
        admin: [...config.DISCORD_ADMIN_USER_IDS, ...config.DISCORD_ALLOWED_USER_IDS],
      }),
    },
    live: {
      marginMode: config.LIVE_MARGIN_MODE, unknownOrderGiveUpMs: config.LIVE_UNKNOWN_ORDER_GIVE_UP_MINUTES * 60_000,
      unknownPositions: config.LIVE_UNKNOWN_POSITIONS,
    },
    marketData: {
      bookDepth: config.BOOK_DEPTH,
      maxDataAgeMs: (config.MAX_DATA_AGE_MINUTES ?? 2 * config.POLL_INTERVAL_MINUTES) * 60_000,
      retentionDays: config.MARKET_RETENTION_DAYS,
      bookRetentionDays: config.MARKET_BOOK_RETENTION_DAYS,
    },
    digest: { times: config.DIGEST_TIMES, zone: config.DIGEST_TIME_ZONE },
    liquidationWarningAt: config.LIQUIDATION_WARNING_AT,
  };
}
