// Our own access tokens: HS256 JWTs with sub = user id, role, iat, exp, iss "taskjet", jti.
// Verification pins the algorithm, so `alg: none` and tokens signed with another key or
// algorithm fail in jose before any claim is looked at.
import { randomUUID, webcrypto } from "node:crypto";
import { jwtVerify, SignJWT } from "jose";
import { z } from "zod";
import { canonicalUuid } from "../db/ids.ts";
import { USER_ROLES, type UserRole } from "../db/schema/enums.ts";
import { TokenRejected } from "./rejections.ts";

export const LOCAL_ISSUER = "taskjet";
export const LOCAL_ALGORITHM = "HS256";
/** 24 h (DESIGN.md). */
export const ACCESS_TOKEN_TTL_SECONDS = 24 * 60 * 60;
/** Clock skew tolerated between processes for exp / nbf / iat. */
const CLOCK_TOLERANCE_SECONDS = 5;

/** The claims we rely on after the signature held. */
const localClaims = z.object({
  sub: z.string().refine((sub) => canonicalUuid(sub) !== null, "sub must be a user id"),
  role: z.enum(USER_ROLES),
});

export interface AccessTokenSubject {
  id: string;
  role: UserRole;
}

/** Signs an access token; `now` and `ttlSeconds` are parameters for tests and `taskjet token`. */
export async function signAccessToken(
  key: Uint8Array,
  user: AccessTokenSubject,
  { ttlSeconds = ACCESS_TOKEN_TTL_SECONDS, now = new Date() }: { ttlSeconds?: number; now?: Date } = {},
): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({ role: user.role })
    .setProtectedHeader({ alg: LOCAL_ALGORITHM, typ: "JWT" })
    .setSubject(user.id)
    .setIssuer(LOCAL_ISSUER)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlSeconds)
    .setJti(randomUUID())
    .sign(key);
}

/** The user id a valid token of ours names; throws TokenRejected or a jose error otherwise. */
export async function verifyLocalToken(key: Uint8Array | webcrypto.CryptoKey, token: string): Promise<{ userId: string; expiresAt: number }> {
  const { payload } = await jwtVerify(token, key, {
    algorithms: [LOCAL_ALGORITHM],
    issuer: LOCAL_ISSUER,
    requiredClaims: ["sub", "exp", "iat"],
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
  });
  const claims = localClaims.safeParse(payload);
  if (!claims.success) throw new TokenRejected("token_invalid");
  return { userId: canonicalUuid(claims.data.sub)!, expiresAt: payload.exp! * 1000 };
}

/** Tokens verified recently; a client sends the same one on every request. */
const VERIFIED_CACHE_SIZE = 10_000;

export interface LocalVerifier {
  /** The user id a valid token of ours names; throws TokenRejected or a jose error otherwise. */
  verify(token: string): Promise<string>;
  /** The user id of a token verified before and not expired yet, without looking at the token. */
  recall(token: string): string | undefined;
}

/**
 * Verifies our tokens with the key imported once (jose would import a raw key on every call) and
 * remembers each valid token until it expires, so a repeat skips the HMAC. Bounded: the oldest
 * entry goes first.
 */
export async function makeLocalVerifier(secret: Uint8Array): Promise<LocalVerifier> {
  const key = await webcrypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  const verified = new Map<string, { userId: string; expiresAt: number }>();
  const recall = (token: string) => {
    const hit = verified.get(token);
    if (hit && hit.expiresAt > Date.now()) return hit.userId;
    verified.delete(token);
    return undefined;
  };
  return {
    recall,
    async verify(token) {
      const known = recall(token);
      if (known !== undefined) return known;
      const result = await verifyLocalToken(key, token);
      if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
      verified.set(token, result);
      return result.userId;
    },
  };
}
