// The SQLite connection's own thread (started by src/store/sqlite-thread.ts). better-sqlite3 is
// synchronous: run on the main thread, a chain of statements (a decision, a card's copies) holds the
// event loop, so a button press waits behind it. Here the statements run beside the main thread,
// which meanwhile answers presses and network replies. Prisma's own better-sqlite3 adapter does the
// work (argument and row conversion, error codes), so what reaches the database is unchanged.
// Plain JavaScript so that it loads as it is under tsx, vitest and the bundle alike.
import { parentPort, workerData } from "node:worker_threads";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";

const STATEMENT_CACHE_SIZE = 500;

/**
 * Prisma's adapter prepares every statement anew; its statements repeat, so each is prepared once
 * and kept (least recently used dropped). better-sqlite3 binds a statement only once, so the
 * parameters are passed at each run instead, shaped like what the adapter calls
 * (`prepare(sql).bind(args)` then `reader`, `run()`, `columns()`, `raw().all()`).
 */
function cacheStatements(connection) {
  const prepare = connection.prepare.bind(connection);
  const cache = new Map();
  connection.prepare = (sql) => {
    let statement = cache.get(sql);
    if (statement === undefined) {
      statement = prepare(sql);
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value);
    } else {
      cache.delete(sql); // re-inserted below: the Map's order is the recency order
    }
    cache.set(sql, statement);
    const bound = (args) => ({
      reader: statement.reader,
      run: () => statement.run(args),
      columns: () => statement.columns(),
      raw: () => ({ all: () => statement.raw(true).all(args) }),
    });
    return { reader: statement.reader, bind: (...args) => bound(args.length === 1 && Array.isArray(args[0]) ? args[0] : args), run: (...args) => statement.run(...args) };
  };
}

const adapter = await new PrismaBetterSqlite3({ url: workerData.url }).connect();
// The adapter keeps its better-sqlite3 connection as `client` (its only handle to it).
if (typeof adapter.client?.prepare === "function") cacheStatements(adapter.client);

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
