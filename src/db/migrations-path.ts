// Where the committed migrations live at run time. They stay in src/ (package.json
// "files" ships src/db/migrations), so both the TypeScript sources (tests, tsx) and
// the compiled dist/ find them by walking up to the package root.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Dialect } from "./store.ts";

export function migrationsFolder(dialect: Dialect): string {
  return join(packageRoot(), "src", "db", "migrations", dialect);
}

function packageRoot(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${start}: cannot locate the migrations`);
  }
}
