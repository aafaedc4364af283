// Types for statement-cache.mjs (plain JavaScript, loaded as it is by the SQLite thread).
/** Keeps the adapter's prepared statements (its better-sqlite3 connection, `client`), if it has one. */
export declare function cacheAdapterStatements(adapter: unknown): void;
