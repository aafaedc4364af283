import path from "node:path";
import { Worker } from "node:worker_threads";
import { DriverAdapterError, type IsolationLevel, type SqlDriverAdapter, type SqlDriverAdapterFactory, type SqlQuery, type SqlResultSet, type Transaction, type TransactionOptions } from "@prisma/driver-adapter-utils";
import { PROJECT_ROOT } from "../project-root";

/**
 * A Prisma driver adapter whose SQLite connection lives on its own thread
 * (sqlite-thread.worker.mjs, running Prisma's better-sqlite3 adapter). better-sqlite3 is
 * synchronous: on the main thread a chain of statements held the event loop, and a button press
 * arriving meanwhile was answered only after it (issue 9: acknowledgement p99 ≤ 20 ms). Each
 * statement now costs a message each way, and the main thread runs while SQLite works; a
 * busy_timeout wait no longer freezes the process either. Statements still run one at a time, in
 * the order they are sent (the thread handles its messages in turn; sqlite-connection.ts decides
 * that order).
 */

const WORKER_FILE = path.join(PROJECT_ROOT, "src", "store", "sqlite-thread.worker.mjs");

interface Reply { id: number; value?: unknown; error?: { name: string; message: string; stack?: string; cause?: unknown } }

class SqliteThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private failure: Error | null = null;
  readonly ready: Promise<void>;

  constructor(url: string) {
    this.worker = new Worker(WORKER_FILE, { workerData: { url } });
    this.worker.unref(); // an idle connection must not keep the process alive; a busy one does (call)
    this.ready = new Promise((resolve, reject) => {
      this.worker.once("message", () => resolve());
      this.worker.once("error", reject);
    });
    this.worker.on("message", (reply: Reply) => this.settle(reply));
    this.worker.on("error", (error) => this.fail(error));
    this.worker.on("exit", (code) => this.fail(new Error(`the SQLite thread stopped (exit code ${code})`)));
  }

  call<T>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref(); // else a script awaiting its last query could exit before the answer
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage({ id, op, ...args });
    });
  }

  async close(): Promise<void> {
    try {
      await this.call("dispose");
    } finally {
      this.failure ??= new Error("the SQLite connection is closed");
      await this.worker.terminate();
    }
  }

  private settle(reply: Reply): void {
    const waiter = this.pending.get(reply.id);
    if (waiter === undefined) return; // the ready message
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.error === undefined) waiter.resolve(reply.value);
    else waiter.reject(rebuild(reply.error));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}

/** Prisma maps a DriverAdapterError's cause to its own codes (unique constraint, busy, …): keep it one. */
function rebuild(error: NonNullable<Reply["error"]>): Error {
  const rebuilt = error.name === "DriverAdapterError" && error.cause !== undefined
    ? new DriverAdapterError(error.cause as ConstructorParameters<typeof DriverAdapterError>[0])
    : new Error(error.message);
  if (error.stack !== undefined) rebuilt.stack = error.stack;
  return rebuilt;
}

class ThreadTransaction implements Transaction {
  readonly provider = "sqlite" as const;
  readonly adapterName = "@prisma/adapter-better-sqlite3";
  constructor(private readonly thread: SqliteThread, private readonly id: number, readonly options: TransactionOptions) {}
  queryRaw(query: SqlQuery): Promise<SqlResultSet> { return this.thread.call("txQueryRaw", { tx: this.id, query }); }
  executeRaw(query: SqlQuery): Promise<number> { return this.thread.call("txExecuteRaw", { tx: this.id, query }); }
  commit(): Promise<void> { return this.thread.call("commit", { tx: this.id }); }
  rollback(): Promise<void> { return this.thread.call("rollback", { tx: this.id }); }
}

class ThreadAdapter implements SqlDriverAdapter {
  readonly provider = "sqlite" as const;
  readonly adapterName = "@prisma/adapter-better-sqlite3";
  constructor(private readonly thread: SqliteThread) {}
  queryRaw(query: SqlQuery): Promise<SqlResultSet> { return this.thread.call("queryRaw", { query }); }
  executeRaw(query: SqlQuery): Promise<number> { return this.thread.call("executeRaw", { query }); }
  executeScript(script: string): Promise<void> { return this.thread.call("executeScript", { script }); }
  async startTransaction(isolationLevel?: IsolationLevel): Promise<Transaction> {
    const { id, options } = await this.thread.call<{ id: number; options: TransactionOptions }>("startTransaction", { isolationLevel });
    return new ThreadTransaction(this.thread, id, options);
  }
  dispose(): Promise<void> { return this.thread.close(); }
}

/** A driver adapter factory for the SQLite file at `url` (file:…), each connection on its own thread. */
export function sqliteOnThread(url: string): SqlDriverAdapterFactory {
  return {
    provider: "sqlite",
    adapterName: "@prisma/adapter-better-sqlite3",
    async connect(): Promise<SqlDriverAdapter> {
      const thread = new SqliteThread(url);
      await thread.ready;
      return new ThreadAdapter(thread);
    },
  };
}
