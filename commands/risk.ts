import { engineParamsAt } from "../src/app/active-weights";
import { activeRiskProfile, isRiskProfile, setRiskProfile } from "../src/app/risk-profile";
import { REQUIRED_CONFIRMATIONS } from "../src/core/signals/ensemble";
import { percent, utcTime } from "../src/chat/render/desk-format";
import type { App } from "../src/app/context";
import type { Command } from "./command";
import { UsageError } from "./command";

/** The profile in force and what it means, read back from storage (what the next cycle will use). */
async function describeProfile(app: App, now: number): Promise<string[]> {
  const [active, params] = await Promise.all([activeRiskProfile(app), engineParamsAt(app, now)]);
  const { profile, scoreThreshold } = params.ensemble;
  const risk = app.settings.risk;
  const origin = active.source === "chat"
    ? `set in chat by ${active.by ?? "someone"}${active.at === null ? "" : ` at ${utcTime(active.at, now)}`}`
    : "the configured default, RISK_PROFILE; not changed in chat";
  const auto = app.settings.autoExecuteProfiles.includes(profile)
    ? `Proposals under this profile execute WITHOUT waiting for an Approve (auto-execute is on for ${profile}).`
    : "Every proposal waits for an Approve.";
  return [
    `Risk profile: ${profile} — ${origin}.`,
    `A signal fires when at least ${REQUIRED_CONFIRMATIONS[profile]} of the 4 streams confirm its direction (conservative needs ${REQUIRED_CONFIRMATIONS.conservative}, aggressive ${REQUIRED_CONFIRMATIONS.aggressive}) and the weighted score reaches ${scoreThreshold} either way (the same for both).`,
    `Cross-exchange confirmation: a funding spread above ${percent(params.crossExchange.spreadThreshold)} per 8h between two venues; it confirms a signal, never fires one.`,
    auto,
    `The same for both profiles: margin ${percent(risk.positionFraction, 2)} of equity per trade, leverage up to ${risk.maxLeverage}x (${risk.maxLeverageHighVol}x in high volatility), stop at ${percent(risk.stopLossFraction, 2)} of position value, size halved at ${percent(risk.halveSizeDrawdown, 2)} drawdown, pause at ${percent(risk.pauseDrawdown, 2)}.`,
  ];
}

/** Viewing is a read (role viewer); changing is an admin act: the router asks for admin when a profile is given. */
export const riskCommand: Command = {
  name: "risk",
  description: "Show the risk profile and its rules; an admin changes it with /risk conservative|aggressive",
  args: [{ name: "profile", description: "conservative (3 streams must agree) or aggressive (2); admins only", required: false }],
  usage: "/risk [conservative|aggressive], e.g. /risk to see it, /risk aggressive to change it (admin)",
  role: "viewer",
  roleFor: (args) => ((args[0] ?? "").trim() === "" ? "viewer" : "admin"),
  async run(app, args, actor) {
    const now = app.clock();
    const word = args[0]?.trim().toLowerCase() ?? "";
    if (word === "") return { text: [...await describeProfile(app, now), "An admin changes it with /risk conservative or /risk aggressive."].join("\n") };
    if (!isRiskProfile(word)) throw new UsageError(`"${word.slice(0, 20)}" is not a risk profile`);
    const change = await setRiskProfile(app, word, actor);
    const head = change.changed
      ? `Risk profile changed from ${change.previous} to ${change.profile}; the next signal cycle uses it.`
      : `The risk profile was already ${change.profile}; nothing changed.`;
    return { text: [head, ...await describeProfile(app, now)].join("\n") };
  },
};
