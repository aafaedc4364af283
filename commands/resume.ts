import { resumeTrading } from "../src/app/pause-trading";
import { UsageError, type Command } from "./command";

export const resumeCommand: Command = {
  name: "resume",
  description: "Lift a pause set with /pause; `/resume override` also lifts a drawdown pause early",
  args: [{ name: "override", description: "Type override to lift a drawdown (or fail-safe) pause before its time", required: false }],
  usage: "/resume, or /resume override to lift a drawdown pause early",
  role: "admin",
  async run(app, args, actor) {
    const word = args[0]?.trim().toLowerCase();
    if (word !== undefined && word !== "" && word !== "override") throw new UsageError(`"${word.slice(0, 20)}" is not override`);
    return { text: await resumeTrading(app, actor, { override: word === "override" }) };
  },
};
