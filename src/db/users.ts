// Users. Emails are stored lower-cased (trimmed), so the unique index on email is
// case-insensitive on both dialects without collations or lower() indexes.
import { eq, sql } from "drizzle-orm";
import { canonicalUuid } from "./ids.ts";
import { prepared } from "./prepared.ts";
import type { Db, Tables } from "./store.ts";

export type User = Tables["users"]["$inferSelect"];
export type NewUser = Pick<Tables["users"]["$inferInsert"], "email" | "name" | "passwordHash" | "role">;

function normaliseEmail(email: string): string {
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
