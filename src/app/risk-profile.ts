import { REQUIRED_CONFIRMATIONS, type RiskProfile } from "../core/signals/ensemble";
import type { Actor } from "../chat/transport";
import { transact } from "../store/database";
import { writeIntents, type Tx } from "../store/outbox";
import type { App } from "./context";

/** The profile chosen in chat (/risk), as JSON {profile, by, at}; without it the configured RISK_PROFILE holds. */
export const RISK_PROFILE_KEY = "risk.profile";

export const RISK_PROFILES: readonly RiskProfile[] = ["conservative", "aggressive"];

export interface ActiveRiskProfile {
  readonly profile: RiskProfile;
  /** "chat": set with /risk (by whom, when); "config": the configured default, never changed in chat. */
  readonly source: "chat" | "config";
  readonly by: string | null;
  readonly at: number | null;
}

export const isRiskProfile = (x: unknown): x is RiskProfile => x === "conservative" || x === "aggressive";

/**
 * The profile in force: the one stored by /risk, else the configured one. An unreadable stored
 * value is logged and the configured one holds (the profile only picks how many streams must
 * agree; it never lifts a risk rule).
 */
export async function activeRiskProfile(app: App, tx: Tx = app.db): Promise<ActiveRiskProfile> {
  const configured: ActiveRiskProfile = { profile: app.settings.engine.ensemble.profile, source: "config", by: null, at: null };
  const row = await tx.setting.findUnique({ where: { key: RISK_PROFILE_KEY } });
  if (row === null) return configured;
  try {
    const value = JSON.parse(row.value) as { profile?: unknown; by?: unknown; at?: unknown };
    if (!isRiskProfile(value.profile)) throw new Error(`not a profile: ${String(value.profile)}`);
    return { profile: value.profile, source: "chat", by: typeof value.by === "string" ? value.by : null, at: typeof value.at === "number" ? value.at : null };
  } catch (error) {
    app.logger.error({ key: RISK_PROFILE_KEY, error: error instanceof Error ? error.message : String(error) }, "the stored risk profile is unreadable; the configured one holds");
    return configured;
  }
}

export interface ProfileChange {
  readonly previous: RiskProfile;
  readonly profile: RiskProfile;
  readonly changed: boolean;
}

/**
 * Stores the profile for every later signal cycle (across restarts), with its audit entry and a
 * message to every chat in the same transaction, so the other operators learn that the bar for a
 * signal moved.
 */
export async function setRiskProfile(app: App, profile: RiskProfile, actor: Actor): Promise<ProfileChange> {
  const now = app.clock();
  const by = `${actor.displayName} (${actor.platform})`;
  const { change, ids } = await transact(app.db, async (tx) => {
    const current = await activeRiskProfile(app, tx);
    if (current.profile === profile) return { change: { previous: current.profile, profile, changed: false }, ids: [] as string[] };
    const value = JSON.stringify({ profile, by, at: now });
    await tx.setting.upsert({ where: { key: RISK_PROFILE_KEY }, create: { key: RISK_PROFILE_KEY, value }, update: { value } });
    // The change itself, beside the router's entry for the command: what it was and what it became.
    await tx.auditLog.create({
      data: { ts: new Date(now), platform: actor.platform, userId: actor.userId, displayName: actor.displayName, action: "risk-profile", target: profile, outcome: "ok", detail: `${current.profile} -> ${profile}` },
    });
    const text = `Risk profile changed from ${current.profile} to ${profile} by ${by}: from the next signal cycle, ${REQUIRED_CONFIRMATIONS[profile]} streams must agree before a signal fires (was ${REQUIRED_CONFIRMATIONS[current.profile]}).`;
    return { change: { previous: current.profile, profile, changed: true }, ids: await writeIntents(tx, [{ kind: "text", key: `risk-profile-${now}`, text, event: "system" }], now) };
  });
  await app.dispatch(ids);
  return change;
}
