/**
 * Whether an error means "the database cannot be used right now" — an outage, as opposed to a
 * mistake in one query (a constraint, a missing row, a bad value). Outage errors are not logged one
 * by one: the outage log says when it started, that it lasts, and when it ended (issue 11, point 5),
 * and the job that hit it fails and is retried like any other.
 *
 * Errors reach here in three shapes: Prisma's own errors (a code like P1001, and for driver
 * adapters the driver's code in `meta.driverAdapterError.cause.originalCode`), raw driver errors
 * (better-sqlite3's SqliteError, pg's errors with a code), and plain Errors whose message merely
 * quotes one of those (the poll job folds a venue's failures into one message). So codes are read
 * where they are, and the message is read as a last resort.
 */

/** SQLite result codes (and their extended forms, e.g. SQLITE_IOERR_WRITE) that mean the file cannot be used. */
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|READONLY|FULL|PROTOCOL)/;

/**
 * Prisma codes: P1001 can't reach the server, P1002 reached but timed out, P1008 operation timed
 * out (the SQLite adapter's SQLITE_BUSY past busy_timeout), P1017 the server closed the connection.
 */
const PRISMA_UNAVAILABLE = new Set(["P1001", "P1002", "P1008", "P1017"]);

/**
 * PostgreSQL SQLSTATEs: 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now (starting
 * up or in recovery), 08xxx connection exceptions, 53300 too many connections.
 */
const POSTGRES_UNAVAILABLE = /^(57P0[123]|08\d{3}|08P01|53300)$/;

/** Socket errors: unavailable only when they come from the database client (Redis and the venues have their own). */
const SOCKET_UNAVAILABLE = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EHOSTUNREACH", "EPIPE"]);

/** What the same conditions look like in a message, when only the text is left. */
const MESSAGE_UNAVAILABLE: readonly RegExp[] = [
  /SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|READONLY|FULL)/,
  /database is locked|database table is locked|disk I\/O error|unable to open database file|attempt to write a readonly database|database or disk is full/i,
  // Prisma's texts for P1001, P1002, P1008, P1017.
  /Can't reach database server|database server .* was reached but timed out|Operation has timed out|Server has closed the connection/i,
  // pg's and the server's texts.
  /Connection terminated|Client has encountered a connection error and is not queryable|terminating connection due to administrator command|the database system is (starting up|shutting down|in recovery mode)|sorry, too many clients already/i,
];

/** A socket error code in a message counts only next to a sign that the database client wrote it. */
const DATABASE_CONTEXT = /Prisma|invocation|database|postgres|\bpg\b|sqlite/i;

const MAX_DEPTH = 4;

export function isDatabaseUnavailable(error: unknown): boolean {
  return unavailable(error, 0, false);
}

function unavailable(error: unknown, depth: number, fromDatabase: boolean): boolean {
  if (depth > MAX_DEPTH || error === null || error === undefined) return false;
  if (typeof error === "string") return messageSaysUnavailable(error);
  if (typeof error !== "object") return false;
  const e = error as { name?: unknown; code?: unknown; message?: unknown; meta?: unknown; cause?: unknown; originalCode?: unknown; kind?: unknown };
  const name = typeof e.name === "string" ? e.name : "";
  const database = fromDatabase || name.startsWith("PrismaClient") || name === "SqliteError" || name === "DriverAdapterError";
  for (const code of [e.code, e.originalCode]) {
    if (typeof code !== "string") continue;
    if (PRISMA_UNAVAILABLE.has(code) || SQLITE_UNAVAILABLE.test(code) || POSTGRES_UNAVAILABLE.test(code)) return true;
    if (database && SOCKET_UNAVAILABLE.has(code)) return true;
  }
  if (e.kind === "DatabaseNotReachable" || e.kind === "ConnectionClosed" || e.kind === "SocketTimeout" || e.kind === "TooManyConnections") return true;
  const adapter = (e.meta as { driverAdapterError?: unknown } | undefined)?.driverAdapterError;
  if (adapter !== undefined && unavailable(adapter, depth + 1, true)) return true;
  if (e.cause !== undefined && unavailable(e.cause, depth + 1, database)) return true;
  return typeof e.message === "string" && messageSaysUnavailable(e.message);
}

function messageSaysUnavailable(message: string): boolean {
  if (MESSAGE_UNAVAILABLE.some((pattern) => pattern.test(message))) return true;
  return /\b(ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH)\b/.test(message) && DATABASE_CONTEXT.test(message) && !/redis/i.test(message);
}
