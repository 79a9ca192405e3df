// Users. Emails are stored lower-cased (trimmed), so the unique index on email is
// case-insensitive on both dialects without collations or lower() indexes.
import { eq, sql } from "drizzle-orm";
import { canonicalUuid } from "./ids.ts";
import { prepared } from "./prepared.ts";
import { rawRun } from "./raw.ts";
import type { UserRole } from "./schema/enums.ts";
import type { Db, Tables } from "./store.ts";

export type User = Tables["users"]["$inferSelect"];
export type NewUser = Pick<Tables["users"]["$inferInsert"], "email" | "name" | "passwordHash" | "role">;

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Inserts a user; null when the email is already taken. ON CONFLICT DO NOTHING
 * rather than catching the error: on pg a failed statement aborts the whole
 * transaction, so the caller could not go on to answer 409 inside it.
 */
export async function createUser(tx: Db, user: NewUser): Promise<User | null> {
  const [created] = await tx.orm
    .insert(tx.t.users)
    .values({ ...user, email: normaliseEmail(user.email) })
    .onConflictDoNothing({ target: tx.t.users.email })
    .returning();
  return created ?? null;
}

/**
 * Inserts a user under a given id (an external identity's derived id); null when that id or
 * the email exists already. Either conflict is a plain "not inserted" here, so a concurrent
 * provisioning of the same identity in another process is harmless.
 */
export async function createUserWithId(tx: Db, user: NewUser & { id: string }): Promise<User | null> {
  const [created] = await tx.orm
    .insert(tx.t.users)
    .values({ ...user, email: normaliseEmail(user.email) })
    .onConflictDoNothing()
    .returning();
  return created ?? null;
}

/**
 * The role a user registering now gets: admin when there is no user yet, else user. Call in
 * the write that inserts the user. SQLite runs one write at a time, so the check holds until
 * commit; pg (READ COMMITTED) could let two empty-table checks pass together, so there the
 * check is repeated under a transaction-scoped advisory lock, taken only while the table is empty.
 */
export async function roleForNewUser(tx: Db): Promise<UserRole> {
  if (await anyUserExists(tx)) return "user";
  if (tx.dialect === "pg") {
    await rawRun(tx, sql`SELECT pg_advisory_xact_lock(hashtext('taskjet.users.first-admin'))`);
    if (await anyUserExists(tx)) return "user";
  }
  return "admin";
}

async function anyUserExists(db: Db): Promise<boolean> {
  const rows = await db.orm.select({ id: db.t.users.id }).from(db.t.users).limit(1);
  return rows.length > 0;
}

export async function findUserByEmail(db: Db, email: string): Promise<User | null> {
  const byEmail = prepared(db, "users.byEmail", ({ orm, t }) =>
    orm.select().from(t.users).where(eq(t.users.email, sql.placeholder("email"))).prepare("users_by_email"),
  );
  const [user] = await byEmail.execute({ email: normaliseEmail(email) });
  return user ?? null;
}

export async function findUserById(db: Db, id: string): Promise<User | null> {
  const userId = canonicalUuid(id);
  if (userId === null) return null;
  const byId = prepared(db, "users.byId", ({ orm, t }) =>
    orm.select().from(t.users).where(eq(t.users.id, sql.placeholder("id"))).prepare("users_by_id"),
  );
  const [user] = await byId.execute({ id: userId });
  return user ?? null;
}

/** The role of a user, or null when there is no such user: the per-request existence check. */
export async function findUserRole(db: Db, id: string): Promise<UserRole | null> {
  const userId = canonicalUuid(id);
  if (userId === null) return null;
  const roleById = prepared(db, "users.roleById", ({ orm, t }) =>
    orm.select({ role: t.users.role }).from(t.users).where(eq(t.users.id, sql.placeholder("id"))).prepare("users_role_by_id"),
  );
  const [row] = await roleById.execute({ id: userId });
  return row?.role ?? null;
}

/** Replaces a password hash (re-hashing with newer scrypt parameters after a good login). */
export async function updatePasswordHash(tx: Db, id: string, passwordHash: string): Promise<void> {
  await tx.orm.update(tx.t.users).set({ passwordHash, updatedAt: new Date() }).where(eq(tx.t.users.id, id));
}

/** Deletes a user and, by cascade, everything they own; false when there was no such user. */
export async function deleteUser(tx: Db, id: string): Promise<boolean> {
  const userId = canonicalUuid(id);
  if (userId === null) return false;
  const deleted = await tx.orm.delete(tx.t.users).where(eq(tx.t.users.id, userId)).returning({ id: tx.t.users.id });
  return deleted.length > 0;
}

/** Gives a user a role (e.g. `taskjet user promote`); running servers see it within their user cache's 30 s. */
export async function setUserRole(tx: Db, id: string, role: User["role"]): Promise<void> {
  await tx.orm.update(tx.t.users).set({ role, updatedAt: new Date() }).where(eq(tx.t.users.id, id));
}
