// `taskjet token --user ID|EMAIL [--ttl 1h]`: prints an access token for scripts and curl. It
// signs with the same key as the api (JWT_SECRET or DATA_DIR/jwt-secret) and only for a user
// that exists, with that user's current role. Only the database is opened, not NATS.
import { parseArgs } from "node:util";
import { pino } from "pino";
import { signAccessToken } from "../auth/access-token.ts";
import { loadJwtSecret } from "../auth/secret.ts";
import type { Config } from "../config.ts";
import { migrateStore, openStore } from "../db/store.ts";
import { findUserByEmail, findUserById } from "../db/users.ts";

export const TOKEN_USAGE = `usage: taskjet token --user ID|EMAIL [--ttl 1h]

Prints an access token for the user (by id or email) on stdout. --ttl takes 90s, 15m, 1h, 7d or
seconds; default 1h, at most 365d. Signs with JWT_SECRET, else the secret in DATA_DIR.
`;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
const DEFAULT_TTL_SECONDS = 3600;
const MAX_TTL_SECONDS = 365 * 86_400;

/** "90s", "15m", "1h", "7d" or bare seconds → seconds; null when malformed or out of range. */
export function parseTtl(text: string): number | null {
  const match = /^(\d+)\s*([smhd])?$/.exec(text.trim());
  if (!match) return null;
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] ?? "s"]!;
  return seconds >= 1 && seconds <= MAX_TTL_SECONDS ? seconds : null;
}

/** Runs the command; the exit code is 0 on success, 1 for an unknown user, 2 for bad usage. */
export async function runToken(config: Config, argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { user: { type: "string" }, ttl: { type: "string" } } });
  if (!values.user) {
    process.stderr.write(`taskjet token: --user is required\n\n${TOKEN_USAGE}`);
    return 2;
  }
  const ttlSeconds = values.ttl === undefined ? DEFAULT_TTL_SECONDS : parseTtl(values.ttl);
  if (ttlSeconds === null) {
    process.stderr.write(`taskjet token: --ttl "${values.ttl}" is not a duration from 1s to 365d (e.g. 90s, 15m, 1h, 7d)\n`);
    return 2;
  }
  // Logs go to stderr: stdout carries only the token, for $(taskjet token …).
  const log = pino({ level: config.logLevel === "info" ? "warn" : config.logLevel }, pino.destination(2));
  const store = await openStore({ databaseUrl: config.databaseUrl, sqliteSynchronous: config.sqliteSynchronous, checkNestedWrites: config.checkNestedWrites, log });
  try {
    await migrateStore(store);
    const wanted = values.user;
    const user = await store.read((db) => (wanted.includes("@") ? findUserByEmail(db, wanted) : findUserById(db, wanted)));
    if (!user) {
      process.stderr.write(`taskjet token: no user ${wanted}\n`);
      return 1;
    }
    const key = await loadJwtSecret(config);
    process.stdout.write(`${await signAccessToken(key, { id: user.id, role: user.role }, { ttlSeconds })}\n`);
    return 0;
  } finally {
    await store.close();
  }
}
