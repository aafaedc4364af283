/**
 * Crash-recovery harness: real OS processes (`node dist/main.js <roles>`, the bundle as `npm start`
 * runs it), a private redis-server that may be flushed or restarted, the Telegram and exchange stand-ins in the test process, and
 * read-only SQL on the shared SQLite file. Nothing here imports the application's own modules, so
 * it does not break while the lifecycle, the store or the Prisma client are being rewritten.
 *
 * Every process started here is registered and SIGKILLed (whole process group: anything the
 * program started goes with it) by `killAllProcesses()`, by `Scenario.dispose()`, and as a
 * last resort when the test process exits.
 *
 * The parts live in sibling modules (each under the house file-size limit); this module is the
 * one the tests import, and re-exports exactly what the harness has always exported — the
 * helpers the parts share among themselves (sleep, killGroup, track) stay internal.
 */

export { freePort, killAllProcesses, waitFor } from "./child-processes";
export { startPrivateRedis, type PrivateRedis } from "./private-redis";
export { ROOT, describeExit, spawnRole, type ExitInfo, type RoleProcess } from "./role-process";
export { sql, sqlCount } from "./sqlite-read";
export {
  ALICE, DESK_CHAT, FAST_POLL_MINUTES, SYMBOL, cleanupHarness, migratedTemplate, serveFundingAnomaly,
} from "./scenario-setup";
export { startScenario, withScenario, type ProposalCard, type Scenario, type ScenarioOptions } from "./scenario";
