import { CHART_PERIODS, equityChart, isChartPeriod } from "../src/app/equity-chart";
import { UsageError, type Command } from "./command";

export const chartCommand: Command = {
  name: "chart",
  description: "Equity curve and drawdown as an image: day, week, month (default) or all",
  args: [{ name: "period", description: "day, week, month (default) or all", required: false }],
  usage: `/chart [${CHART_PERIODS.join("|")}] — equity and drawdown over that period, a month if none is given`,
  role: "viewer",
  async run(app, args) {
    const period = (args[0] ?? "").trim().toLowerCase() || "month";
    if (!isChartPeriod(period)) throw new UsageError(`unknown period ${period}`);
    const chart = await equityChart(app, period, app.clock());
    if (chart.kind === "text") return { text: chart.text };
    return { text: chart.caption, image: { png: chart.png, filename: chart.filename } };
  },
};
