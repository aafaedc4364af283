import { UserError, type App } from "./context";

/**
 * The configured symbol a user meant: "MNT/USDT:USDT" in any letter case, "MNT/USDT", "MNTUSDT"
 * or just the base coin "mnt" (when only one configured symbol has that base). Anything else is
 * refused with the list of symbols this bot watches, so the user can copy one.
 */
export function chooseSymbol(app: App, raw: string): string {
  const typed = raw.trim().toUpperCase();
  const compact = (s: string): string => s.toUpperCase().replace(/[^A-Z0-9]/g, "");
  const symbols = app.settings.symbols;
  const exact = symbols.find((s) => s.toUpperCase() === typed);
  if (exact !== undefined) return exact;
  const byPair = symbols.filter((s) => compact(s.split(":")[0] ?? s) === compact(typed) || compact(s) === compact(typed));
  if (byPair.length === 1 && byPair[0] !== undefined) return byPair[0];
  const byBase = symbols.filter((s) => compact(s.split("/")[0] ?? "") === compact(typed));
  if (byBase.length === 1 && byBase[0] !== undefined) return byBase[0];
  const shown = typed.replace(/[^A-Z0-9/:._-]/g, "").slice(0, 30);
  throw new UserError(`Unknown symbol "${shown}". This bot watches: ${symbols.join(", ")} (the base coin alone, e.g. ${(symbols[0] ?? "MNT/USDT:USDT").split("/")[0] ?? ""}, is enough).`);
}
