// The authenticator: the signing key, the external verifier and the known-user cache of one
// Ctx, built on first use. `verify` is what the authenticate middleware calls per request: it
// answers a caller or a rejection, and never throws, whatever the token holds.
import { decodeProtectedHeader } from "jose";
import type { Logger } from "pino";
import type { Caller } from "../api/env.ts";
import type { Config } from "../config.ts";
import type { Ctx } from "../context.ts";
import type { Store } from "../db/store.ts";
import { findUserRole } from "../db/users.ts";
import { LOCAL_ALGORITHM, makeLocalVerifier, signAccessToken, type AccessTokenSubject } from "./access-token.ts";
import { provisionExternalUser } from "./accounts.ts";
import { makeExternalVerifier, type ExternalIdentity } from "./external-idp.ts";
import { makeKnownUsers, type KnownUsers } from "./known-users.ts";
import { rejectionOf, TokenRejected, type Rejection } from "./rejections.ts";
import { loadJwtSecret } from "./secret.ts";

export type Verification = { ok: true; caller: Caller } | { ok: false; reason: Rejection };

export interface Auth {
  /** Signs one of our access tokens (24 h unless `ttlSeconds`). */
  sign(user: AccessTokenSubject, opts?: { ttlSeconds?: number; now?: Date }): Promise<string>;
  /** Checks a bearer token end to end: signature, claims, and that its user exists (or is provisioned). */
  verify(token: string, opts?: { traceparent?: string }): Promise<Verification>;
  /** The existence cache: `forget(id)` when deleting a user or changing their role. */
  knownUsers: KnownUsers;
}

export interface AuthDeps {
  config: Pick<Config, "jwt" | "dataDir">;
  store: Store;
  log: Logger;
}

export async function makeAuth({ config, store, log }: AuthDeps): Promise<Auth> {
  const key = await loadJwtSecret(config);
  const verifyLocal = await makeLocalVerifier(key);
  const external = makeExternalVerifier(config.jwt);
  if (external && (!config.jwt.issuer || !config.jwt.audience)) {
    log.warn({ issuer: config.jwt.issuer, audience: config.jwt.audience }, "JWKS_URL without JWT_ISSUER and JWT_AUDIENCE accepts any token the provider signs, for any application");
  }
  const knownUsers = makeKnownUsers({ lookup: (id) => store.read((db) => findUserRole(db, id)) });

  /** The caller of an external identity, creating its user row on first sight so foreign keys hold. */
  async function externalCaller(identity: ExternalIdentity, traceparent: string | undefined): Promise<Caller> {
    const known = await knownUsers.roleOf(identity.userId);
    if (known) return { userId: identity.userId, role: known };
    const role = await provisionExternalUser(store, identity, traceparent);
    knownUsers.remember(identity.userId, role);
    log.info({ user_id: identity.userId, issuer: identity.issuer }, "provisioned a user for an external identity");
    return { userId: identity.userId, role };
  }

  async function verifyOrThrow(token: string, traceparent: string | undefined): Promise<Verification> {
    // A token verified before skips even its header (base64 + JSON, a few per cent of a cheap
    // request): a client sends the same token on every request.
    const known = verifyLocal.recall(token);
    if (known !== undefined || algorithmOf(token) === LOCAL_ALGORITHM) {
      const userId = known ?? (await verifyLocal.verify(token));
      // The role comes from the database, not the token, so a demotion takes effect within the cache TTL.
      const role = await knownUsers.roleOf(userId);
      return role ? { ok: true, caller: { userId, role } } : { ok: false, reason: "user_unknown" };
    }
    if (!external) return { ok: false, reason: "token_invalid" };
    const identity = await external.verify(token);
    return { ok: true, caller: await externalCaller(identity, traceparent) };
  }

  return {
    sign: (user, opts) => signAccessToken(key, user, opts),
    async verify(token, opts = {}) {
      try {
        return await verifyOrThrow(token, opts.traceparent);
      } catch (err) {
        const reason = rejectionOf(err);
        if (reason) return { ok: false, reason };
        // An unreachable JWKS endpoint surfaces as a fetch TypeError, a database outage as a driver error.
        log.warn({ err }, "could not verify an access token");
        return { ok: false, reason: "verification_unavailable" };
      }
    },
    knownUsers,
  };
}

/** The `alg` of a compact JWS; anything that has no JSON header is malformed, not an error of ours. */
function algorithmOf(token: string): unknown {
  try {
    return decodeProtectedHeader(token).alg;
  } catch {
    throw new TokenRejected("token_malformed");
  }
}

// One Auth per Ctx, made on first use: Ctx has no auth field, and the key file must be read
// (or created) once, not per request. A failed build is forgotten so the next request retries.
const authByCtx = new WeakMap<Ctx, Promise<Auth>>();

/** The Auth of a context (built on first call, then shared). */
export function authOf(ctx: Ctx): Promise<Auth> {
  let auth = authByCtx.get(ctx);
  if (!auth) {
    auth = makeAuth({ config: ctx.config, store: ctx.store, log: ctx.log });
    authByCtx.set(ctx, auth);
    auth.catch(() => authByCtx.delete(ctx));
  }
  return auth;
}
