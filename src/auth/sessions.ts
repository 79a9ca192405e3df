// Sessions: an access token plus a rotating refresh token. A refresh token is 32 random bytes
// (base64url) stored only as its sha256; each refresh marks the presented token used and issues
// the next one in the same family. Presenting a used token again means two parties hold it (one
// of them a thief), so the whole family is revoked and both must log in again.
import { createHash, randomBytes } from "node:crypto";
import { uuidv7 } from "uuidv7";
import {
  claimRefreshToken,
  deleteExpiredRefreshTokens,
  findRefreshToken,
  insertRefreshToken,
  revokeRefreshFamily,
} from "../db/refresh-tokens.ts";
import type { Db, Store } from "../db/store.ts";
import { findUserById, type User } from "../db/users.ts";
import { ACCESS_TOKEN_TTL_SECONDS } from "./access-token.ts";
import type { Auth } from "./authenticator.ts";

/** 30 days (DESIGN.md), counted from each rotation. */
export const REFRESH_TOKEN_TTL_MS = 30 * 24 * 60 * 60 * 1000;
const REFRESH_TOKEN_BYTES = 32;

export interface Session {
  accessToken: string;
  refreshToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
  user: User;
}

/** Why a refresh was refused; all answer 401, the reason goes to the log and the error details. */
export type RefreshFailure = "unknown" | "expired" | "reused";

export function hashRefreshToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("base64url");
}

/** Issues a session inside `tx`: a new refresh token (in `familyId`, or a new family) and an access token. */
export async function issueSession(tx: Db, auth: Auth, user: User, { familyId = uuidv7(), now = new Date() } = {}): Promise<Session> {
  const refreshToken = randomBytes(REFRESH_TOKEN_BYTES).toString("base64url");
  await deleteExpiredRefreshTokens(tx, user.id, now);
  await insertRefreshToken(tx, {
    userId: user.id,
    tokenHash: hashRefreshToken(refreshToken),
    familyId,
    expiresAt: new Date(now.getTime() + REFRESH_TOKEN_TTL_MS),
  });
  const accessToken = await auth.sign({ id: user.id, role: user.role }, { now });
  return { accessToken, refreshToken, expiresIn: ACCESS_TOKEN_TTL_SECONDS, user };
}

/**
 * Trades a refresh token for a new session. A refusal that revokes a family still commits
 * (the write resolves with the failure instead of throwing, which would roll it back).
 */
export async function refreshSession(
  store: Store,
  auth: Auth,
  refreshToken: string,
  now = new Date(),
): Promise<{ ok: true; session: Session } | { ok: false; reason: RefreshFailure }> {
  const tokenHash = hashRefreshToken(refreshToken);
  return store.write(async (tx) => {
    const claimed = await claimRefreshToken(tx, tokenHash, now);
    if (!claimed) {
      const seen = await findRefreshToken(tx, tokenHash);
      if (!seen) return { ok: false, reason: "unknown" };
      await revokeRefreshFamily(tx, seen.familyId);
      return { ok: false, reason: "reused" };
    }
    if (claimed.expiresAt.getTime() <= now.getTime()) {
      // The newest token of its family has run out: the family is over.
      await revokeRefreshFamily(tx, claimed.familyId);
      return { ok: false, reason: "expired" };
    }
    const user = await findUserById(tx, claimed.userId);
    if (!user) return { ok: false, reason: "unknown" };
    return { ok: true, session: await issueSession(tx, auth, user, { familyId: claimed.familyId, now }) };
  });
}

/** Revokes the family of a refresh token; unknown tokens are ignored, so logout is idempotent. */
export async function endSession(store: Store, refreshToken: string): Promise<void> {
  const tokenHash = hashRefreshToken(refreshToken);
  await store.write(async (tx) => {
    const token = await findRefreshToken(tx, tokenHash);
    if (token) await revokeRefreshFamily(tx, token.familyId);
  });
}
