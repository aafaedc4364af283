/** The look-back periods the desk commands take (/chart, /pnl): rolling windows ending now. */
export const PERIODS = ["day", "week", "month", "all"] as const;
export type Period = (typeof PERIODS)[number];

const PERIOD_MS: Record<Exclude<Period, "all">, number> = { day: 86_400_000, week: 7 * 86_400_000, month: 30 * 86_400_000 };
export const PERIOD_TEXT: Record<Period, string> = { day: "the last 24 hours", week: "the last 7 days", month: "the last 30 days", all: "all time" };

export const isPeriod = (value: string): value is Period => (PERIODS as readonly string[]).includes(value);

/** Where the period starts (epoch ms), or null for all time. */
export const periodStart = (period: Period, now: number): number | null => (period === "all" ? null : now - PERIOD_MS[period]);
