// Types for scripts/schema-engine.mjs (plain JavaScript so that it runs without a build step).
export function readSchema(file: string): string;
export function schemaDiff(fromFile: string | null, toFile: string): Promise<string>;
export function layoutFor(url: string): { migrations: string; schema: string };
export interface MigrationStatus {
  upToDate: boolean;
  hasMigrationsTable: boolean;
  editedMigrationNames: string[];
  failedMigrationNames: string[];
  history:
    | { diagnostic: "databaseIsBehind"; unappliedMigrationNames: string[] }
    | { diagnostic: "migrationsDirectoryIsBehind"; unpersistedMigrationNames: string[] }
    | { diagnostic: "historiesDiverge"; lastCommonMigrationName: string | null; unpersistedMigrationNames: string[]; unappliedMigrationNames: string[] }
    | null;
}
export function migrationStatus(url: string): Promise<MigrationStatus>;
