// Tokens of an external identity provider, verified against its JWKS served by a local HTTP
// server: accepted with the right issuer and audience, refused otherwise, and the user row
// provisioned once (with one user.created) so the caller's tasks have an owner.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { eq } from "drizzle-orm";
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import { afterAll, beforeAll, expect, it } from "vitest";
import { externalUserId } from "../../../src/auth/external-idp.ts";
import { findUserById } from "../../../src/db/users.ts";
import { openTestApp, type TestApp } from "../../helpers/app.ts";
import { expectUnauthorized, mountWhoAmI, NO_RATE_LIMITS, signUp, uniqueEmail, WHOAMI_PATH } from "../../helpers/auth.ts";
import { describeEachDialect } from "../../helpers/db.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats-server.ts";

const ISSUER = "https://idp.example.test/";
const AUDIENCE = "taskjet-api";
const KID = "idp-key-1";

let nats: NatsServer;
let jwks: Server;
let jwksUrl: string;
let idpKey: CryptoKey;
let publicPem: string;

beforeAll(async () => {
  nats = await startNatsServer();
  const pair = await generateKeyPair("RS256", { extractable: true });
  idpKey = pair.privateKey;
  publicPem = await exportSPKI(pair.publicKey);
  const body = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: KID, alg: "RS256", use: "sig" }] });
  jwks = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(body));
  await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
  jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
});

afterAll(async () => {
  await new Promise((resolve) => jwks?.close(resolve));
  await nats?.stop();
});

/** A token as the provider would issue it; `overrides` bend its claims. */
function idpToken(
  sub: string,
  overrides: { iss?: string; aud?: string; exp?: string; email?: string; email_verified?: boolean; name?: string; key?: CryptoKey } = {},
) {
  const { iss = ISSUER, aud = AUDIENCE, exp = "1h", key = idpKey, ...claims } = overrides;
  return new SignJWT({ name: "Ext Ernal", ...claims })
    .setProtectedHeader({ alg: "RS256", kid: KID })
    .setSubject(sub)
    .setIssuer(iss)
    .setAudience(aud)
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(key);
}

await describeEachDialect("auth with an external identity provider", (dialect) => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await openTestApp({ dialect, nats, env: { ...NO_RATE_LIMITS, JWKS_URL: jwksUrl, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE } });
    mountWhoAmI(testApp);
  });
  afterAll(async () => {
    await testApp?.close();
  });

  const whoami = (token: string) => testApp.request("GET", WHOAMI_PATH, { token });
  const userCreatedCount = (userId: string) =>
    testApp.ctx.store.read(async ({ orm, t }) => (await orm.select().from(t.outbox).where(eq(t.outbox.subject, `user.created.${userId}`))).length);

  it("an RS256 token of the provider is accepted, and its user is provisioned once with one user.created", async () => {
    const email = uniqueEmail("ext");
    const token = await idpToken("auth0|alice", { email, email_verified: true });
    const userId = externalUserId(ISSUER, "auth0|alice");
    for (let i = 0; i < 3; i++) {
      const res = await whoami(token);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ userId, role: "user" });
    }
    const user = await testApp.ctx.store.read((db) => findUserById(db, userId));
    expect(user).toMatchObject({ id: userId, email, name: "Ext Ernal", role: "user" });
    expect(await userCreatedCount(userId)).toBe(1);
  });

  it("without a verified email the user gets an undeliverable placeholder, never someone else's account", async () => {
    const local = await signUp(testApp);
    const res = await whoami(await idpToken("mallory", { email: local.email, email_verified: false }));
    const { userId } = (await res.json()) as { userId: string };
    expect(userId).not.toBe(local.userId);
    const user = await testApp.ctx.store.read((db) => findUserById(db, userId));
    expect(user?.email).toBe(`${userId}@external.invalid`);
  });

  it("a verified email already used by a local account is not linked to it either", async () => {
    const local = await signUp(testApp);
    const res = await whoami(await idpToken("eve", { email: local.email, email_verified: true }));
    expect(res.status).toBe(200);
    const { userId } = (await res.json()) as { userId: string };
    expect(userId).toBe(externalUserId(ISSUER, "eve"));
    expect((await testApp.ctx.store.read((db) => findUserById(db, userId)))?.email).toBe(`${userId}@external.invalid`);
  });

  it("claims Postgres could not store (a NUL) are cleaned, not a reason to fail", async () => {
    const res = await whoami(await idpToken("nul-user", { email: "a\u0000@example.test", email_verified: true, name: "Nu\u0000ll" }));
    expect(res.status).toBe(200);
    const { userId } = (await res.json()) as { userId: string };
    expect(await testApp.ctx.store.read((db) => findUserById(db, userId))).toMatchObject({ name: "Null", email: `${userId}@external.invalid` });
  });

  it("our own tokens keep working next to the provider's", async () => {
    const account = await signUp(testApp);
    expect((await whoami(account.accessToken)).status).toBe(200);
  });

  it.each([
    ["the wrong audience", () => idpToken("bob", { aud: "another-app" }), "token_invalid"],
    ["another issuer", () => idpToken("bob", { iss: "https://evil.example.test/" }), "token_invalid"],
    ["an expired token", () => idpToken("bob", { exp: "-1h" }), "token_expired"],
  ])("a provider token with %s is refused", async (_what, token, reason) => {
    const error = await expectUnauthorized(await whoami(await token()));
    expect(error.details).toEqual({ reason });
  });

  it("a token signed by another key under the provider's kid is refused", async () => {
    const { privateKey } = await generateKeyPair("RS256");
    const error = await expectUnauthorized(await whoami(await idpToken("bob", { key: privateKey })));
    expect(error.details).toEqual({ reason: "token_invalid" });
  });

  it("an HS256 token keyed with the provider's public key (algorithm confusion) is refused", async () => {
    const token = await new SignJWT({ role: "admin" })
      .setProtectedHeader({ alg: "HS256", kid: KID })
      .setSubject("bob")
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode(publicPem));
    const error = await expectUnauthorized(await whoami(token));
    expect(error.details).toEqual({ reason: "token_invalid" });
  });

  it("when the provider's JWKS cannot be fetched, its tokens are refused with a reason to retry", async () => {
    const unreachable = await openTestApp({ dialect, nats, env: { ...NO_RATE_LIMITS, JWKS_URL: "http://127.0.0.1:1/jwks.json", JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE } });
    try {
      mountWhoAmI(unreachable);
      const res = await unreachable.request("GET", WHOAMI_PATH, { token: await idpToken("carol") });
      expect((await expectUnauthorized(res)).details).toEqual({ reason: "verification_unavailable" });
    } finally {
      await unreachable.close();
    }
  });
});
