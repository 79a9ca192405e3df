// /api/v1/auth: register, login, refresh, logout. Every answer but logout's is a session:
// `{access_token, refresh_token, token_type, expires_in, user}`. The logic lives in src/auth/;
// this file maps HTTP to it and back. These are the public operations (`security: []`).
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { login, register, userView } from "../../auth/accounts.ts";
import { authOf } from "../../auth/authenticator.ts";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "../../auth/password.ts";
import { endSession, refreshSession, type Session } from "../../auth/sessions.ts";
import { USER_ROLES } from "../../db/schema/enums.ts";
import type { AppEnv } from "../env.ts";
import { AppError, errorEnvelope } from "../errors.ts";
import { makeRouter } from "../router.ts";

/** Postgres text cannot hold NUL, so a NUL must stop at validation rather than fail in the database. */
const noNul = (value: string) => !value.includes("\u0000");
const NO_NUL = "must not contain NUL characters";

const email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .email()
  // RFC 2606 reserves .invalid; external identities without an email are stored under it.
  .refine((value) => !value.endsWith(".invalid"), "this mail domain cannot receive mail")
  .openapi({ example: "ada@example.com" });

const registerBody = z
  .object({
    email,
    password: z
      .string()
      .min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`)
      .max(MAX_PASSWORD_LENGTH, `must be at most ${MAX_PASSWORD_LENGTH} characters`),
    name: z.string().trim().max(100).refine(noNul, NO_NUL).nullish(),
  })
  .openapi("RegisterRequest");

// No format rules at login: a malformed email simply matches no account (401, not 422).
const loginBody = z
  .object({ email: z.string().max(254).refine(noNul, NO_NUL), password: z.string().max(MAX_PASSWORD_LENGTH) })
  .openapi("LoginRequest");

const refreshBody = z.object({ refresh_token: z.string().min(1).max(200) }).openapi("RefreshRequest");

const userSchema = z
  .object({ id: z.uuid(), email: z.string(), name: z.string().nullable(), role: z.enum(USER_ROLES) })
  .openapi("User");

const sessionSchema = z
  .object({
    access_token: z.string().openapi({ description: "HS256 JWT; send as `Authorization: Bearer …`" }),
    refresh_token: z.string().openapi({ description: "single use: each refresh returns the next one" }),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int().openapi({ description: "seconds until the access token expires" }),
    user: userSchema,
  })
  .openapi("Session");

const json = <T extends z.ZodType>(schema: T) => ({ content: { "application/json": { schema } } });
const bodyOf = <T extends z.ZodType>(schema: T) => ({ body: { required: true, ...json(schema) } });
const failure = (description: string) => ({ description, ...json(errorEnvelope) });
const sessionResponse = (status: string) => ({ description: status, ...json(sessionSchema) });

/** A session as JSON; token answers must not be cached anywhere on the way (RFC 6749 §5.1). */
function sessionBody(c: Context<AppEnv>, session: Session) {
  c.header("Cache-Control", "no-store");
  return {
    access_token: session.accessToken,
    refresh_token: session.refreshToken,
    token_type: "Bearer" as const,
    expires_in: session.expiresIn,
    user: userView(session.user),
  };
}

const invalidCredentials = () => new AppError("UNAUTHORIZED", "invalid email or password");

export const auth = makeRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/register",
      tags: ["auth"],
      security: [],
      summary: "Create an account (the first one is an admin) and log in",
      request: bodyOf(registerBody),
      responses: {
        201: sessionResponse("the new account's session"),
        409: failure("the email is taken"),
        422: failure("invalid email, password shorter than 8 characters, …"),
      },
    }),
    async (c) => {
      const { email, password, name } = c.req.valid("json");
      const ctx = c.get("ctx");
      const session = await register(ctx.store, await authOf(ctx), { email, password, name: name || null }, c.get("traceparent"));
      if (!session) throw new AppError("CONFLICT", "an account with this email exists", { field: "email" });
      return c.json(sessionBody(c, session), 201);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/login",
      tags: ["auth"],
      security: [],
      summary: "Log in with email and password",
      request: bodyOf(loginBody),
      responses: { 200: sessionResponse("a new session"), 401: failure("wrong email or password") },
    }),
    async (c) => {
      const ctx = c.get("ctx");
      const session = await login(ctx.store, await authOf(ctx), c.req.valid("json"));
      if (!session) throw invalidCredentials();
      return c.json(sessionBody(c, session), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/refresh",
      tags: ["auth"],
      security: [],
      summary: "Trade a refresh token for a new session (the old refresh token stops working)",
      request: bodyOf(refreshBody),
      responses: { 200: sessionResponse("the next session"), 401: failure("unknown, expired, revoked or reused refresh token") },
    }),
    async (c) => {
      const ctx = c.get("ctx");
      const log = c.get("log");
      const outcome = await refreshSession(ctx.store, await authOf(ctx), c.req.valid("json").refresh_token);
      if (!outcome.ok) {
        if (outcome.reason === "reused") log.warn("a used refresh token was presented again; its family is revoked");
        throw new AppError("UNAUTHORIZED", "invalid refresh token", { reason: `refresh_token_${outcome.reason}` });
      }
      return c.json(sessionBody(c, outcome.session), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/logout",
      tags: ["auth"],
      security: [],
      summary: "Revoke a refresh token and every token rotated from the same login",
      request: bodyOf(refreshBody),
      responses: { 204: { description: "logged out (also when the token was unknown)" } },
    }),
    async (c) => {
      await endSession(c.get("ctx").store, c.req.valid("json").refresh_token);
      return c.body(null, 204);
    },
  );
