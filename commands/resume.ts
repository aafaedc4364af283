import { resumeTrading } from "../src/app/pause-trading";
import type { Command } from "./command";

export const resumeCommand: Command = {
  name: "resume",
  description: "Lift a pause set with /pause",
  args: [],
  mutates: true,
  async run(app, _args, actor) {
    return { text: await resumeTrading(app, actor) };
  },
};
