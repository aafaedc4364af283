/**
 * The chart render process (see MEMORY in src/render/charts.ts): reads EquityChartOptions as JSON
 * on stdin, writes the PNG to stdout and exits, taking the chart stack's memory with it.
 */
import { drawEquityChart } from "./chart-drawing";
import type { EquityChartOptions } from "./charts";

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const options = JSON.parse(Buffer.concat(chunks).toString("utf8")) as EquityChartOptions;
const png = await drawEquityChart(options);
process.stdout.write(png, () => process.exit(0));
