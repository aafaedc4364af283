import { AsyncLocalStorage } from "node:async_hooks";
import type { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import type BetterSqlite3 from "better-sqlite3";

/**
 * The one SQLite connection a process has, used in turns. Prisma's better-sqlite3 adapter shares a
 * single connection between everything the process does. Left as it is, that has two costs this
 * wrapper removes:
 *
 * 1. **Lost writes.** A statement issued outside any transaction while another flow's transaction
 *    is open runs INSIDE that transaction (same connection): it sees half-written rows, and if that
 *    transaction rolls back (a guard conflict, a busy retry, an error) the statement's write is
 *    rolled back with it, though its caller was told it succeeded. Here a plain statement waits
 *    for the open transaction to end; transactions and plain statements take the connection in
 *    arrival order, so neither starves. (A plain statement issued from inside a transaction body,
 *    through the client rather than `tx`, still runs in that transaction: waiting would deadlock.)
 * 2. **Re-preparing.** The adapter prepares every statement anew; Prisma's statements repeat, so
 *    they are prepared once and kept (bounded, least recently used dropped).
 *
 * Not done here: better-sqlite3 is synchronous, so a chain of statements (a decision, a card's
 * copies) holds the event loop until it ends. Giving the loop a turn every few milliseconds was
 * tried and measured (bench, button acknowledgement): it shortens the longest block but costs the
 * chains a turn each time, and the press → outcome time grew 3–10× while the acknowledgement's
 * p99 stayed above 20 ms. Moving the statements to a worker thread is the way left.
 */

type SqlDriverAdapter = Awaited<ReturnType<PrismaBetterSqlite3["connect"]>>;
type SqlTransaction = Awaited<ReturnType<SqlDriverAdapter["startTransaction"]>>;
type SqlQuery = Parameters<SqlDriverAdapter["queryRaw"]>[0];
type SqlResultSet = Awaited<ReturnType<SqlDriverAdapter["queryRaw"]>>;

const STATEMENT_CACHE_SIZE = 500;

/** Marks the body of a transaction (set by `transact`), whose plain statements must not wait for it. */
export const insideTransactionBody = new AsyncLocalStorage<true>();

/** FIFO ownership of the connection: one transaction, or one plain statement, at a time. */
class Turns {
  private held = false;
  private readonly waiting: (() => void)[] = [];

  acquire(): Promise<void> | null {
    if (!this.held) {
      this.held = true;
      return null; // free: no promise, so an uncontended statement costs no extra hop
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next === undefined) this.held = false;
    else next(); // stays held: ownership passes straight to the next in line
  }
}

class TransactionInTurn implements SqlTransaction {
  readonly provider: SqlTransaction["provider"];
  readonly adapterName: string;
  readonly options: SqlTransaction["options"];
  private ended = false;

  constructor(private readonly inner: SqlTransaction, private readonly end: () => void) {
    this.provider = inner.provider;
    this.adapterName = inner.adapterName;
    this.options = inner.options;
  }

  queryRaw(query: SqlQuery): Promise<SqlResultSet> { return this.inner.queryRaw(query); }
  executeRaw(query: SqlQuery): Promise<number> { return this.inner.executeRaw(query); }

  commit(): Promise<void> { return this.finish(() => this.inner.commit()); }
  rollback(): Promise<void> { return this.finish(() => this.inner.rollback()); }

  private async finish(step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } finally {
      if (!this.ended) {
        this.ended = true;
        this.end();
      }
    }
  }
}

class ConnectionInTurns implements SqlDriverAdapter {
  readonly provider: SqlDriverAdapter["provider"];
  readonly adapterName: string;
  private readonly turns = new Turns();

  constructor(private readonly inner: SqlDriverAdapter) {
    this.provider = inner.provider;
    this.adapterName = inner.adapterName;
    // No getConnectionInfo: the better-sqlite3 adapter has none either, and Prisma then uses its defaults.
  }

  queryRaw(query: SqlQuery): Promise<SqlResultSet> { return this.plain(() => this.inner.queryRaw(query)); }
  executeRaw(query: SqlQuery): Promise<number> { return this.plain(() => this.inner.executeRaw(query)); }
  executeScript(script: string): Promise<void> { return this.plain(() => this.inner.executeScript(script)); }

  async startTransaction(isolationLevel?: Parameters<SqlDriverAdapter["startTransaction"]>[0]): Promise<SqlTransaction> {
    await this.turns.acquire();
    try {
      const transaction = await this.inner.startTransaction(isolationLevel);
      return new TransactionInTurn(transaction, () => this.turns.release());
    } catch (error) {
      this.turns.release();
      throw error;
    }
  }

  dispose(): Promise<void> { return this.inner.dispose(); }

  private async plain<T>(run: () => Promise<T>): Promise<T> {
    if (insideTransactionBody.getStore() === true) return run();
    await this.turns.acquire();
    try {
      return await run();
    } finally {
      this.turns.release();
    }
  }
}

/**
 * A statement prepared once and run with new parameters each time, shaped like what the adapter
 * does with a fresh one (`prepare(sql).bind(args)` then `reader`, `run()`, `columns()`,
 * `raw().all()`): better-sqlite3 lets a statement be bound only once, so the parameters are passed
 * at each run instead.
 */
function reusable(statement: BetterSqlite3.Statement): BetterSqlite3.Statement {
  const bound = (args: unknown[]): unknown => ({
    reader: statement.reader,
    run: () => statement.run(args),
    columns: () => statement.columns(),
    raw: () => ({ all: () => statement.raw(true).all(args) }),
  });
  return { reader: statement.reader, bind: (...args: unknown[]) => bound(args.length === 1 && Array.isArray(args[0]) ? (args[0] as unknown[]) : args), run: (...args: unknown[]) => statement.run(...args) } as unknown as BetterSqlite3.Statement;
}

function cacheStatements(connection: BetterSqlite3.Database): void {
  const prepare = connection.prepare.bind(connection);
  const cache = new Map<string, BetterSqlite3.Statement>();
  connection.prepare = ((sql: string) => {
    let statement = cache.get(sql);
    if (statement === undefined) {
      statement = prepare(sql);
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    } else {
      cache.delete(sql); // re-inserted below: the Map's order is the recency order
    }
    cache.set(sql, statement);
    return reusable(statement);
  }) as BetterSqlite3.Database["prepare"];
}

/** Prisma's better-sqlite3 adapter factory, its connections used in turns (see above). */
export function inTurns(factory: PrismaBetterSqlite3): PrismaBetterSqlite3 {
  const connect = async (): Promise<SqlDriverAdapter> => {
    const adapter = await factory.connect();
    // The adapter keeps its better-sqlite3 connection as `client` (its only handle to it).
    const connection = (adapter as unknown as { client?: BetterSqlite3.Database }).client;
    if (connection !== undefined && typeof connection.prepare === "function") cacheStatements(connection);
    return new ConnectionInTurns(adapter);
  };
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect,
    connectToShadowDb: () => factory.connectToShadowDb(),
  } as PrismaBetterSqlite3;
}
