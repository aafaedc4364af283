import type { StreamName } from "../core/signals/types";
import type { EngineParams } from "../core/signals/engine";
import type { App } from "./context";

/**
 * The engine parameters in force at `now`: the weight set fitted for the current month (the
 * latest one whose month has started), or the documented priors when none exists yet.
 */
export async function engineParamsAt(app: App, now: number): Promise<EngineParams> {
  const base = app.settings.engine;
  const active = await app.db.weightSet.findFirst({ where: { monthStart: { lte: new Date(now) } }, orderBy: [{ monthStart: "desc" }, { createdAt: "desc" }] });
  if (active === null) return base;
  const weights = JSON.parse(active.weightsJson) as Partial<Record<StreamName, number>>;
  return { ...base, ensemble: { ...base.ensemble, weights: { ...base.ensemble.weights, ...weights }, modelVersion: active.version } };
}
