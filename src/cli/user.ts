// `taskjet user promote EMAIL`: gives an existing user the admin role. Only the database is
// opened (not NATS). Running servers read a caller's role from the users table through a cache of
// at most 30 s (src/auth/known-users.ts), so the promotion reaches them within that time.
import { parseArgs } from "node:util";
import { pino } from "pino";
import type { Config } from "../config.ts";
import type { UserRole } from "../db/schema/enums.ts";
import { migrateStore, openStore, type Db } from "../db/store.ts";
import { findUserByEmail, normaliseEmail, setUserRole, type User } from "../db/users.ts";

export const USER_USAGE = `usage: taskjet user promote EMAIL

Gives the user with that email the admin role (admins read everyone's audit log).
Exit 1 when there is no such user.
`;

/** Sets a user's role; the user as it was before, or null for an unknown email. */
async function setRoleByEmail(tx: Db, email: string, role: UserRole): Promise<User | null> {
  const user = await findUserByEmail(tx, email);
  if (!user || user.role === role) return user;
  await setUserRole(tx, user.id, role);
  return user;
}

/** Runs `taskjet user …`; exit 0 on success, 1 for an unknown email, 2 for bad usage. */
export async function runUser(config: Config, argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, options: {}, allowPositionals: true });
  const [action, email, ...extra] = positionals;
  if (action !== "promote" || !email || extra.length > 0) {
    process.stderr.write(`taskjet user: expected "promote EMAIL"\n\n${USER_USAGE}`);
    return 2;
  }
  const log = pino({ level: config.logLevel === "info" ? "warn" : config.logLevel }, pino.destination(2));
  const store = await openStore({ databaseUrl: config.databaseUrl, sqliteSynchronous: config.sqliteSynchronous, checkNestedWrites: config.checkNestedWrites, log });
  try {
    await migrateStore(store);
    const before = await store.write((tx) => setRoleByEmail(tx, email, "admin"));
    if (!before) {
      process.stderr.write(`taskjet user promote: no user with email ${normaliseEmail(email)}\n`);
      return 1;
    }
    const line = before.role === "admin" ? `${before.email} (${before.id}) is already admin` : `promoted ${before.email} (${before.id}) to admin`;
    process.stdout.write(`${line}\n`);
    return 0;
  } finally {
    await store.close();
  }
}
