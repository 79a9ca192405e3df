// Environment → Config, parsed once by one zod schema. Nothing else reads process.env:
// every other module gets the values it needs from the Config passed to it.
import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { ROLES, type Role } from "./roles.ts";

/** Thrown for a bad environment; main prints `message` as one line and exits 2. */
export class ConfigError extends Error {
  override name = "ConfigError";
  readonly code = "CONFIG_INVALID";
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s", "15m", "1h", "2d" or a bare number of seconds → milliseconds. */
const duration = z.string().transform((text, ctx) => {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) {
    ctx.addIssue({ code: "custom", message: `expected a duration like 90s, 15m, 1h or 2d, got "${text}"` });
    return z.NEVER;
  }
  return Math.round(Number(match[1]) * DURATION_UNITS[match[2] ?? "s"]!);
});

const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `expected a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `expected a whole number from ${min} to ${max}`).max(max, `expected a whole number from ${min} to ${max}`));

const url = (schemes: string[]) =>
  z.string().refine((value) => {
    try {
      return schemes.includes(new URL(value).protocol.replace(/:$/, ""));
    } catch {
      return false;
    }
  }, `expected a URL starting with ${schemes.map((s) => `${s}://`).join(" or ")}`);

const roles = z.string().transform((text, ctx) => {
  const names = text.split(",").map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(ROLES as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length > 0) {
    ctx.addIssue({ code: "custom", message: `expected a comma-separated list of ${ROLES.join(", ")}; unknown: ${unknown.join(", ") || "(empty)"}` });
    return z.NEVER;
  }
  return [...new Set(names)] as Role[];
});

const envSchema = z.object({
  PORT: integer(0, 65535).default(8080),
  HOST: z.string().min(1).default("0.0.0.0"),
  DATA_DIR: z.string().min(1).default("./data"),
  DATABASE_URL: z.string().min(1).optional(),
  NATS_URL: z.string().min(1).optional(),
  NATS_USER: z.string().min(1).optional(),
  NATS_PASSWORD: z.string().min(1).optional(),
  NATS_CREDS: z.string().min(1).optional(),
  NATS_REPLICAS: integer(1, 5).default(1),
  NATS_SERVER_BIN: z.string().min(1).optional(),
  JWT_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  JWKS_URL: url(["https", "http"]).optional(),
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),
  SMTP_URL: url(["smtp", "smtps"]).optional(),
  MAIL_FROM: z.string().min(3).default("taskjet <taskjet@localhost>"),
  VAPID_PUBLIC_KEY: z.string().min(1).optional(),
  VAPID_PRIVATE_KEY: z.string().min(1).optional(),
  VAPID_SUBJECT: z.string().regex(/^(mailto:|https:\/\/)/, "expected mailto:… or https://…").optional(),
  TASKJET_ROLES: roles.default([...ROLES]),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  PUBLIC_URL: url(["http", "https"]).optional(),
  RATE_LIMIT_ANON: integer(0, 1_000_000).default(100),
  RATE_LIMIT_USER: integer(0, 1_000_000).default(1000),
  REMINDER_GRACE: duration.default(3_600_000),
  AUDIT_RETENTION_DAYS: integer(1, 36_500).default(90),
  EVENT_RETENTION_DAYS: integer(1, 36_500).default(30),
  DLQ_RETENTION_DAYS: integer(1, 36_500).default(90),
  SQLITE_SYNCHRONOUS: z.enum(["full", "normal"]).default("full"),
  NODE_ENV: z.string().optional(),
});

type Env = z.output<typeof envSchema>;

/** Everything taskjet reads from its environment, with defaults applied. */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string;
  nats: { url?: string; user?: string; password?: string; credsFile?: string; replicas: number; serverBin?: string };
  jwt: { secret?: string; jwksUrl?: string; issuer?: string; audience?: string };
  smtp: { url?: string; from: string };
  vapid: { publicKey?: string; privateKey?: string; subject?: string };
  roles: Role[];
  logLevel: Env["LOG_LEVEL"];
  publicUrl: string;
  rateLimit: { anonPerMinute: number; userPerMinute: number };
  reminderGraceMs: number;
  retention: { auditDays: number; eventDays: number; dlqDays: number };
  sqliteSynchronous: Env["SQLITE_SYNCHRONOUS"];
  /** NODE_ENV=test: the stores refuse a write inside a write (src/db/write-guard.ts). */
  checkNestedWrites: boolean;
}

/** `NAME_FILE` (docker secrets) supplies `NAME` from a file; setting both is ambiguous. */
function resolveFileVariables(env: NodeJS.ProcessEnv): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const name of Object.keys(envSchema.shape)) {
    const direct = env[name];
    const file = env[`${name}_FILE`];
    if (direct !== undefined && direct !== "" && file) throw new ConfigError(`${name} and ${name}_FILE are both set; keep one`);
    if (file) {
      try {
        resolved[name] = readFileSync(file, "utf8").trim();
      } catch (err) {
        throw new ConfigError(`${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? "error"})`);
      }
    } else if (direct !== undefined && direct !== "") {
      resolved[name] = direct;
    }
  }
  return resolved;
}

/** Parses the environment; throws ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(resolveFileVariables(env));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0]);
    throw new ConfigError(`invalid ${name}: ${issue.message}`);
  }
  const e = parsed.data;
  if (e.NATS_PASSWORD && !e.NATS_USER) throw new ConfigError("invalid NATS_PASSWORD: set NATS_USER too");
  const dataDir = path.resolve(e.DATA_DIR);
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    databaseUrl: e.DATABASE_URL ?? `file:${path.join(dataDir, "taskjet.db")}`,
    nats: { url: e.NATS_URL, user: e.NATS_USER, password: e.NATS_PASSWORD, credsFile: e.NATS_CREDS, replicas: e.NATS_REPLICAS, serverBin: e.NATS_SERVER_BIN },
    jwt: { secret: e.JWT_SECRET, jwksUrl: e.JWKS_URL, issuer: e.JWT_ISSUER, audience: e.JWT_AUDIENCE },
    smtp: { url: e.SMTP_URL, from: e.MAIL_FROM },
    vapid: { publicKey: e.VAPID_PUBLIC_KEY, privateKey: e.VAPID_PRIVATE_KEY, subject: e.VAPID_SUBJECT },
    roles: e.TASKJET_ROLES,
    logLevel: e.LOG_LEVEL,
    publicUrl: e.PUBLIC_URL ?? `http://localhost:${e.PORT}`,
    rateLimit: { anonPerMinute: e.RATE_LIMIT_ANON, userPerMinute: e.RATE_LIMIT_USER },
    reminderGraceMs: e.REMINDER_GRACE,
    retention: { auditDays: e.AUDIT_RETENTION_DAYS, eventDays: e.EVENT_RETENTION_DAYS, dlqDays: e.DLQ_RETENTION_DAYS },
    sqliteSynchronous: e.SQLITE_SYNCHRONOUS,
    checkNestedWrites: e.NODE_ENV === "test",
  };
}

/** The names of every variable taskjet reads (README and compose are checked against it). */
export const ENV_NAMES = Object.keys(envSchema.shape);
