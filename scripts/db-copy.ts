import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import { copyDatabase, tableCounts, TargetNotEmptyError, TABLES_IN_REFERENCE_ORDER, type TableName } from "../src/store/database-copy";
import { databaseProvider, openDatabase, sqlitePathFromUrl, type Db } from "../src/store/database";

/**
 * `npm run db:copy -- --from file:./data/perpbot.db --to postgresql://user@host:5432/perpbot`:
 * every row of one journal into another database (typically SQLite into PostgreSQL), ids kept,
 * tables in reference order. Both are migrated to the current schema first, as the bot does on
 * start. A target that already holds rows is refused unless --overwrite (which empties it first).
 * Exit codes: 0 copied and counted equal, 1 failed, 2 a usage error.
 */

const USAGE = "usage: npm run db:copy -- --from <DATABASE_URL> --to <DATABASE_URL> [--overwrite]\n"
  + "  e.g. --from file:./data/perpbot.db --to postgresql://perpbot@127.0.0.1:5432/perpbot";

function usage(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function parse(): { from: string; to: string; overwrite: boolean } {
  let values;
  try {
    ({ values } = parseArgs({ options: { from: { type: "string" }, to: { type: "string" }, overwrite: { type: "boolean", default: false } }, strict: true }));
  } catch (error) {
    usage(error instanceof Error ? error.message : String(error));
  }
  if (values.from === undefined || values.to === undefined) usage("both --from and --to are needed");
  for (const url of [values.from, values.to]) {
    try { databaseProvider(url); } catch (error) { usage(error instanceof Error ? error.message.replace(/^DATABASE_URL/, url) : String(error)); }
  }
  if (values.from === values.to) usage("--from and --to name the same database");
  // Opening a missing SQLite file would create an empty journal and copy nothing: say so instead.
  if (databaseProvider(values.from) === "sqlite" && !existsSync(sqlitePathFromUrl(values.from))) usage(`no database at ${sqlitePathFromUrl(values.from)}`);
  return { from: values.from, to: values.to, overwrite: values.overwrite ?? false };
}

/** A URL as printed: any password replaced. */
const shown = (url: string): string => url.replace(/\/\/([^:/@]+):[^@/]*@/, "//$1:***@");

async function main(): Promise<number> {
  const args = parse();
  const out = process.stdout;
  let source: Db | undefined;
  let target: Db | undefined;
  let bar: cliProgress.SingleBar | undefined;
  try {
    source = await openDatabase(args.from);
    target = await openDatabase(args.to);
    const expected = await tableCounts(source);
    const total = Object.values(expected).reduce((a, b) => a + b, 0);
    out.write(`Copying ${total.toLocaleString("en-US")} rows from ${shown(args.from)} to ${shown(args.to)}\n`);
    bar = new cliProgress.SingleBar({
      stream: out, format: "[{bar}] {percentage}% | {value}/{total} rows | {table}", hideCursor: true, noTTYOutput: !out.isTTY, notTTYSchedule: 5000,
    }, cliProgress.Presets.shades_classic);
    bar.start(Math.max(1, total), 0, { table: "" });
    const done: Partial<Record<TableName, number>> = {};
    const copied = await copyDatabase(source, target, args.to, {
      overwrite: args.overwrite,
      onProgress: ({ table, copied: n }) => {
        done[table] = n;
        bar?.update(Object.values(done).reduce((a, b) => a + b, 0), { table });
      },
    });
    bar.update(total, { table: "done" });
    bar.stop();
    bar = undefined;
    const landed = await tableCounts(target);
    const width = Math.max(...TABLES_IN_REFERENCE_ORDER.map((t) => t.length));
    let mismatches = 0;
    for (const table of TABLES_IN_REFERENCE_ORDER) {
      const ok = copied[table] === expected[table] && landed[table] === expected[table];
      if (!ok) mismatches += 1;
      out.write(`${table.padEnd(width)}  ${String(landed[table]).padStart(10)}${ok ? "" : `  ≠ ${expected[table]} in the source`}\n`);
    }
    if (mismatches > 0) {
      process.stderr.write(`${mismatches} table(s) differ from the source (was the source written to during the copy?)\n`);
      return 1;
    }
    out.write(`Copied ${total.toLocaleString("en-US")} rows in ${TABLES_IN_REFERENCE_ORDER.length} tables; set DATABASE_URL=${shown(args.to)} to run on it.\n`);
    return 0;
  } catch (error) {
    bar?.stop(); // its redraw timer would keep the process alive
    if (error instanceof TargetNotEmptyError) {
      process.stderr.write(`Refused: ${error.message}. Pass --overwrite to empty it and copy anyway.\n`);
      return 1;
    }
    process.stderr.write(`Copy failed: ${error instanceof Error ? error.message : String(error)}\nThe target may hold part of the rows; run again with --overwrite.\n`);
    return 1;
  } finally {
    await Promise.all([source?.$disconnect(), target?.$disconnect()]);
  }
}

process.exitCode = await main();
