import type { StreamName } from "../core/signals/types";
import type { EngineParams } from "../core/signals/engine";
import type { App } from "./context";
import { activeRiskProfile } from "./risk-profile";

/**
 * The engine parameters in force at `now`: the weight set fitted for the current month (the
 * latest one whose month has started), or the documented priors when none exists yet; and the
 * risk profile chosen with /risk (stored), or the configured one.
 */
export async function engineParamsAt(app: App, now: number): Promise<EngineParams> {
  const [active, risk] = await Promise.all([
    app.db.weightSet.findFirst({ where: { monthStart: { lte: new Date(now) } }, orderBy: [{ monthStart: "desc" }, { createdAt: "desc" }] }),
    activeRiskProfile(app),
  ]);
  const base = { ...app.settings.engine, ensemble: { ...app.settings.engine.ensemble, profile: risk.profile } };
  if (active === null) return base;
  const weights = JSON.parse(active.weightsJson) as Partial<Record<StreamName, number>>;
  return { ...base, ensemble: { ...base.ensemble, weights: { ...base.ensemble.weights, ...weights }, modelVersion: active.version } };
}
