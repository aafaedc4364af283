import type { Command } from "./command";
import { approveCommand, rejectCommand } from "./approve";
import { chartCommand } from "./chart";
import { closeCommand } from "./close";
import { fundingCommand } from "./funding";
import { pauseCommand } from "./pause";
import { pnlCommand } from "./pnl";
import { positionsCommand } from "./positions";
import { reportCommand } from "./report";
import { resumeCommand } from "./resume";
import { riskCommand } from "./risk";
import { settingsCommand } from "./settings";
import { signalsCommand } from "./signals";
import { statusCommand } from "./status";
import { whoamiCommand } from "./whoami";

/** The one list of commands: the router, /help, Telegram's menu and Discord's registry read it. */
export const COMMANDS: readonly Command[] = [
  statusCommand, signalsCommand, positionsCommand, pnlCommand, chartCommand, fundingCommand, reportCommand,
  riskCommand, pauseCommand, resumeCommand, closeCommand, settingsCommand, approveCommand, rejectCommand, whoamiCommand,
];
