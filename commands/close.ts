import { requestClose } from "../src/app/close-position";
import { renderCloseConfirmation } from "../src/chat/close-buttons";
import { UsageError, type Command } from "./command";

/** Never closes at once: it answers with what it would close and a Confirm close / Cancel pair (2 minutes). */
export const closeCommand: Command = {
  name: "close",
  description: "Close one open position (by its id from /positions) or all of them, after a confirm button",
  args: [{ name: "position", description: "A position id from /positions (or its symbol), or all", required: true }],
  usage: "/close <position|all>, e.g. /close p1a2b3c4d5e6 or /close all (ids are in /positions)",
  role: "admin",
  async run(app, args, actor) {
    const target = args[0]?.trim() ?? "";
    if (!/^[A-Za-z0-9/:._-]{1,40}$/.test(target)) throw new UsageError("not a position id, symbol or all");
    const request = await requestClose(app, target, actor);
    return renderCloseConfirmation(request, app.clock());
  },
};
