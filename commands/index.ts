import type { Command } from "./command";
import { approveCommand, rejectCommand } from "./approve";
import { pauseCommand } from "./pause";
import { pnlCommand } from "./pnl";
import { resumeCommand } from "./resume";
import { statusCommand } from "./status";
import { whoamiCommand } from "./whoami";

/** The one list of commands: the router, /help, Telegram's menu and Discord's registry read it. */
export const COMMANDS: readonly Command[] = [statusCommand, pnlCommand, pauseCommand, resumeCommand, approveCommand, rejectCommand, whoamiCommand];
