import { pauseTrading } from "../src/app/pause-trading";
import type { Command } from "./command";

export const pauseCommand: Command = {
  name: "pause",
  description: "Stop new proposals and executions until /resume (open positions keep their stops)",
  args: [{ name: "reason", description: "Why (shown to the other operators)", required: false }],
  usage: "/pause [reason], e.g. /pause exchange maintenance",
  freeText: true,
  role: "admin",
  async run(app, args, actor) {
    return { text: await pauseTrading(app, actor, args.join(" ").trim().slice(0, 200)) };
  },
};
