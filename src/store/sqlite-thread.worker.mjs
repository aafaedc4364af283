// The SQLite connection's own thread (started by src/store/sqlite-thread.ts). better-sqlite3 is
// synchronous: run on the main thread, a chain of statements (a decision, a card's copies) holds the
// event loop, so a button press waits behind it. Here the statements run beside the main thread,
// which meanwhile answers presses and network replies. Prisma's own better-sqlite3 adapter does the
// work (argument and row conversion, error codes), so what reaches the database is unchanged.
// Plain JavaScript so that it loads as it is under tsx, vitest and the bundle alike.
import { parentPort, workerData } from "node:worker_threads";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { cacheAdapterStatements } from "./statement-cache.mjs";

const adapter = await new PrismaBetterSqlite3({ url: workerData.url }).connect();
cacheAdapterStatements(adapter);

const transactions = new Map();
let nextTransaction = 1;

const operations = {
  queryRaw: ({ query }) => adapter.queryRaw(query),
  executeRaw: ({ query }) => adapter.executeRaw(query),
  executeScript: ({ script }) => adapter.executeScript(script),
  async startTransaction({ isolationLevel }) {
    const transaction = await adapter.startTransaction(isolationLevel);
    const id = nextTransaction++;
    transactions.set(id, transaction);
    return { id, options: transaction.options };
  },
  txQueryRaw: ({ tx, query }) => transactionOf(tx).queryRaw(query),
  txExecuteRaw: ({ tx, query }) => transactionOf(tx).executeRaw(query),
  commit: ({ tx }) => finish(tx, (transaction) => transaction.commit()),
  rollback: ({ tx }) => finish(tx, (transaction) => transaction.rollback()),
  async dispose() {
    await adapter.dispose();
  },
};

function transactionOf(id) {
  const transaction = transactions.get(id);
  if (transaction === undefined) throw new Error(`SQLite thread: no open transaction ${id}`);
  return transaction;
}

async function finish(id, step) {
  const transaction = transactionOf(id);
  transactions.delete(id);
  await step(transaction);
}

/** An error as the main thread rebuilds it: a driver adapter error keeps its cause (the codes Prisma maps). */
function describe(error) {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack, cause: error.name === "DriverAdapterError" ? error.cause : undefined };
  return { name: "Error", message: String(error) };
}

parentPort.on("message", async ({ id, op, ...args }) => {
  try {
    const value = await operations[op](args);
    parentPort.postMessage({ id, value });
  } catch (error) {
    parentPort.postMessage({ id, error: describe(error) });
  }
});
parentPort.postMessage({ ready: true });
