// DATABASE_URL → which dialect and where. `file:<path>` or a bare path is SQLite,
// `postgres://` / `postgresql://` is Postgres.
//
// Postgres takes one extra query parameter, `schema=<name>`: tables, and drizzle's
// own migrations table, live in that schema (it becomes the connection's
// search_path and the migrator's migrationsSchema). Tests use it to give each
// file its own schema in one database; without it, tables go to the server's
// default search_path and the migrations table to the "drizzle" schema.
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { StoreError } from "./errors.ts";

export type DatabaseTarget =
  | { dialect: "sqlite"; path: string }
  | { dialect: "pg"; url: string; schema: string | undefined };

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function parseDatabaseUrl(databaseUrl: string): DatabaseTarget {
  const value = databaseUrl.trim();
  if (/^postgres(ql)?:\/\//i.test(value)) return postgresTarget(value);
  if (/^file:/i.test(value)) return { dialect: "sqlite", path: sqlitePath(value) };
  if (value === "" || /^[a-z][a-z0-9+.-]*:/i.test(value)) {
    const got = value === "" ? "an empty value" : `a "${value.split(":")[0]}:" URL`;
    throw invalid(`DATABASE_URL must be file:…, a path, or postgres://… (got ${got})`);
  }
  return { dialect: "sqlite", path: fileOnDisk(value) };
}

function sqlitePath(url: string): string {
  const rest = url.slice("file:".length);
  if (rest.startsWith("//")) {
    try {
      return fileURLToPath(url);
    } catch (cause) {
      throw invalid(`DATABASE_URL "${url}" is not a valid file URL; use file:/absolute/path or file:relative/path`, cause);
    }
  }
  if (rest === "" || rest.includes("?")) {
    throw invalid(`DATABASE_URL "${url}" needs a plain path after file: (no query parameters)`);
  }
  return fileOnDisk(rest);
}

function fileOnDisk(path: string): string {
  if (path === ":memory:") {
    throw invalid("DATABASE_URL: in-memory SQLite is not supported (the read connection needs the same file); use a file path");
  }
  return resolve(path);
}

/** Takes `schema` off the query string (postgres.js would send it to the server as a setting). */
function postgresTarget(url: string): DatabaseTarget {
  const at = url.indexOf("?");
  if (at === -1) return { dialect: "pg", url, schema: undefined };
  const params = new URLSearchParams(url.slice(at + 1));
  const schema = params.get("schema") ?? undefined;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw invalid(`DATABASE_URL schema "${schema}" must be a lower-case SQL identifier ([a-z_][a-z0-9_]*)`);
  }
  params.delete("schema");
  const query = params.toString();
  return { dialect: "pg", url: url.slice(0, at) + (query ? `?${query}` : ""), schema };
}

function invalid(message: string, cause?: unknown): StoreError {
  return new StoreError("INVALID_DATABASE_URL", message, { cause });
}
