// Tokens of an external identity provider (JWKS_URL + JWT_ISSUER + JWT_AUDIENCE). jose's remote
// JWKS caches the provider's keys and refetches when a token names a kid it has not seen, which
// is how key rotation reaches us. Only asymmetric algorithms are accepted from the JWKS, so an
// attacker cannot get an HMAC token checked against a public key (algorithm confusion).
import { createHash } from "node:crypto";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { z } from "zod";
import type { Config } from "../config.ts";
import { TokenRejected } from "./rejections.ts";

export const EXTERNAL_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

/** What we keep of a verified external token. */
export interface ExternalIdentity {
  /** Our users.id for this identity: a UUIDv5 of (issuer, subject). */
  userId: string;
  issuer: string;
  subject: string;
  /** Only when the provider says it is verified; we may mail reminders to it. */
  email: string | null;
  name: string | null;
}

export interface ExternalVerifier {
  verify(token: string): Promise<ExternalIdentity>;
}

const externalClaims = z.object({
  sub: z.string().min(1).max(255),
  iss: z.string().optional(),
  email: z.string().max(254).optional(),
  email_verified: z.boolean().optional(),
  name: z.string().optional(),
});

/** A verifier for the configured provider, or null when JWKS_URL is unset. */
export function makeExternalVerifier(jwt: Config["jwt"]): ExternalVerifier | null {
  if (!jwt.jwksUrl) return null;
  const keys = createRemoteJWKSet(new URL(jwt.jwksUrl));
  return {
    async verify(token) {
      const { payload } = await jwtVerify(token, keys, {
        algorithms: EXTERNAL_ALGORITHMS,
        issuer: jwt.issuer,
        audience: jwt.audience,
        requiredClaims: ["sub", "exp"],
        clockTolerance: 5,
      });
      const claims = externalClaims.safeParse(payload);
      if (!claims.success) throw new TokenRejected("token_invalid");
      const { sub, iss = "", email, email_verified, name } = claims.data;
      // Stored in text columns: a NUL (which Postgres refuses) makes an email unusable and is dropped from a name.
      const usableEmail = email && email_verified === true && !email.includes("\u0000") ? email.trim().toLowerCase() : null;
      return {
        userId: externalUserId(iss, sub),
        issuer: iss,
        subject: sub,
        email: usableEmail || null,
        name: name?.replaceAll("\u0000", "").trim().slice(0, 100) || null,
      };
    },
  };
}

/** RFC 4122 namespace of taskjet's external identities (a fixed random UUID). */
const EXTERNAL_NAMESPACE = "3d0b6c1e-5a8f-4f47-9c1b-7e2a6f9d4c21";

/**
 * users.id is a uuid column, and an IdP's `sub` is any string, so an external identity gets a
 * deterministic UUIDv5 of (issuer, subject): the same person maps to the same row in every
 * process, without a lookup table, and equal subjects of two issuers stay apart.
 */
export function externalUserId(issuer: string, subject: string): string {
  const namespace = Buffer.from(EXTERNAL_NAMESPACE.replaceAll("-", ""), "hex");
  const name = Buffer.from(JSON.stringify([issuer, subject]), "utf8");
  const bytes = createHash("sha1").update(namespace).update(name).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50; // version 5
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
