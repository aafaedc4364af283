// Prepared statements kept per SQLite connection, shared by the in-process connection
// (sqlite-connection.ts) and the connection's own thread (sqlite-thread.worker.mjs). Plain
// JavaScript so that the thread loads it as it is.
const STATEMENT_CACHE_SIZE = 500;

/**
 * Prisma's better-sqlite3 adapter prepares every statement anew; its statements repeat, so each is
 * prepared once and kept (least recently used dropped). better-sqlite3 binds a statement only
 * once, so the parameters are passed at each run instead, shaped like what the adapter calls
 * (`prepare(sql).bind(args)` then `reader`, `run()`, `columns()`, `raw().all()`).
 */
export function cacheStatements(connection) {
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

/** The adapter keeps its better-sqlite3 connection as `client` (its only handle to it). */
export function cacheAdapterStatements(adapter) {
  if (typeof adapter?.client?.prepare === "function") cacheStatements(adapter.client);
}
