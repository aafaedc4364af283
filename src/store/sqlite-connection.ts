import { AsyncLocalStorage } from "node:async_hooks";
import { cacheAdapterStatements } from "./statement-cache.mjs";
import type { SqlDriverAdapter, SqlDriverAdapterFactory, SqlQuery, SqlResultSet, Transaction as SqlTransaction } from "@prisma/driver-adapter-utils";

/**
 * The one SQLite connection a process has, used in turns. Prisma's better-sqlite3 adapter shares a
 * single connection between everything the process does. Left as it is, that loses writes:
 * a statement issued outside any transaction while another flow's transaction
 * is open runs INSIDE that transaction (same connection): it sees half-written rows, and if that
 * transaction rolls back (a guard conflict, a busy retry, an error) the statement's write is
 * rolled back with it, though its caller was told it succeeded. Here a plain statement waits
 * for the open transaction to end; transactions and plain statements take the connection in
 * arrival order, so neither starves. (A plain statement issued from inside a transaction body,
 * through the client rather than `tx`, still runs in that transaction: waiting would deadlock.)
 *
 * Where the connection lives is the caller's choice (openDatabase): in this thread, or on its own
 * (sqlite-thread.ts). better-sqlite3 is synchronous, so in process a chain of statements holds
 * the event loop until it ends: fastest for batch work (a signals cycle), but a button press
 * arriving meanwhile waits. (Giving the loop a turn every few milliseconds instead was tried and
 * measured: the press → outcome time grew 3–10× while the acknowledgement's p99 stayed above 20 ms.)
 */

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

/** A SQLite adapter factory whose connections are used in turns (see above), statements prepared once. */
export function inTurns(factory: SqlDriverAdapterFactory): SqlDriverAdapterFactory {
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => {
      const adapter = await factory.connect();
      cacheAdapterStatements(adapter); // in process: Prisma's own adapter (on its thread, the thread caches)
      return new ConnectionInTurns(adapter);
    },
  };
}
