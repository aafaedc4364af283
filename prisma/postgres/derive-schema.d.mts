// Types for derive-schema.mjs (a plain script, so the Prisma wrapper can run it without tsx).
export declare const root: string;
export declare const SQLITE_SCHEMA: string;
export declare const POSTGRES_SCHEMA: string;
/** The PostgreSQL schema for a SQLite schema text. */
export declare function postgresSchemaFrom(sqliteSchema: string): string;
/** Rewrites prisma/postgres/schema.prisma from prisma/schema.prisma; true if it changed. */
export declare function writePostgresSchema(): boolean;
