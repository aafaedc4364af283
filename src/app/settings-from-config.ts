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
    allowedUsers: { telegram: config.TELEGRAM_ALLOWED_USER_IDS, discord: config.DISCORD_ALLOWED_USER_IDS },
  };
}
