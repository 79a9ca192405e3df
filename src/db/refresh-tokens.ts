// Refresh tokens, stored by the sha256 of the token (never the token itself). Tokens handed out
// one after another from one login form a family; rotation marks each used, and a second use
// of a used one revokes the family (see src/auth/sessions.ts).
import { and, eq, isNull, lt, sql } from "drizzle-orm";
import { prepared } from "./prepared.ts";
import type { Db, Tables } from "./store.ts";

export type RefreshTokenRow = Tables["refreshTokens"]["$inferSelect"];
export type NewRefreshToken = Pick<Tables["refreshTokens"]["$inferInsert"], "userId" | "tokenHash" | "familyId" | "expiresAt">;

export async function insertRefreshToken(tx: Db, token: NewRefreshToken): Promise<void> {
  await tx.orm.insert(tx.t.refreshTokens).values(token);
}

export async function findRefreshToken(db: Db, tokenHash: string): Promise<RefreshTokenRow | null> {
  const byHash = prepared(db, "refreshTokens.byHash", ({ orm, t }) =>
    orm.select().from(t.refreshTokens).where(eq(t.refreshTokens.tokenHash, sql.placeholder("hash"))).prepare("refresh_tokens_by_hash"),
  );
  const [row] = await byHash.execute({ hash: tokenHash });
  return row ?? null;
}

/**
 * Marks an unused token used and returns it; null when it was used already (or is unknown).
 * The `used_at IS NULL` condition makes this the single winner among concurrent refreshes
 * with the same token, on both dialects.
 */
export async function claimRefreshToken(tx: Db, tokenHash: string, now: Date): Promise<RefreshTokenRow | null> {
  const [claimed] = await tx.orm
    .update(tx.t.refreshTokens)
    .set({ usedAt: now })
    .where(and(eq(tx.t.refreshTokens.tokenHash, tokenHash), isNull(tx.t.refreshTokens.usedAt)))
    .returning();
  return claimed ?? null;
}

/** Deletes every token of a family; how many there were. */
export async function revokeRefreshFamily(tx: Db, familyId: string): Promise<number> {
  const deleted = await tx.orm
    .delete(tx.t.refreshTokens)
    .where(eq(tx.t.refreshTokens.familyId, familyId))
    .returning({ id: tx.t.refreshTokens.id });
  return deleted.length;
}

/** Drops a user's expired tokens (used ones are kept until then, for reuse detection). */
export async function deleteExpiredRefreshTokens(tx: Db, userId: string, now: Date): Promise<void> {
  await tx.orm
    .delete(tx.t.refreshTokens)
    .where(and(eq(tx.t.refreshTokens.userId, userId), lt(tx.t.refreshTokens.expiresAt, now)));
}
