import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The repository's root: the nearest folder above this module that holds package.json. Modules
 * find files beside the code (migrations, ../shared/data, the chart child) from here rather than
 * from their own place, because that place differs between the sources run under tsx (src/…) and
 * the bundle `npm start` runs (dist/main.js).
 */
export const PROJECT_ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}: perpbot must run from its repository`);
  }
}
