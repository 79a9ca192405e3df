// The environment contract: defaults, NAME_FILE secrets, and one clear line naming a bad variable.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.ts";

function errorOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("config", () => {
  it("applies the documented defaults to an empty environment", () => {
    const config = loadConfig({});
    expect(config.port).toBe(8080);
    expect(config.dataDir).toBe(path.resolve("./data"));
    expect(config.databaseUrl).toBe(`file:${path.resolve("./data/taskjet.db")}`);
    expect(config.nats.url).toBeUndefined();
    expect(config.roles).toEqual(["api", "relay", "scheduler", "recurring", "notifier", "audit"]);
    expect(config.rateLimit).toEqual({ anonPerMinute: 100, userPerMinute: 1000 });
    expect(config.reminderGraceMs).toBe(3_600_000);
    expect(config.retention.auditDays).toBe(90);
    expect(config.sqliteSynchronous).toBe("full");
  });

  it.each([
    [{ PORT: "abc" }, /^invalid PORT: /],
    [{ PORT: "70000" }, /^invalid PORT: /],
    [{ DATABASE_URL: "" , SQLITE_SYNCHRONOUS: "sometimes" }, /^invalid SQLITE_SYNCHRONOUS: /],
    [{ TASKJET_ROLES: "api,chef" }, /^invalid TASKJET_ROLES: .*unknown: chef/],
    [{ REMINDER_GRACE: "soon" }, /^invalid REMINDER_GRACE: expected a duration/],
    [{ LOG_LEVEL: "loud" }, /^invalid LOG_LEVEL: /],
    [{ SMTP_URL: "http://mail" }, /^invalid SMTP_URL: expected a URL starting with smtp:\/\//],
    [{ JWT_SECRET: "short" }, /^invalid JWT_SECRET: must be at least 32 characters/],
    [{ NATS_PASSWORD: "x" }, /^invalid NATS_PASSWORD: set NATS_USER too/],
    [{ RATE_LIMIT_USER: "-1" }, /^invalid RATE_LIMIT_USER: /],
  ])("rejects %o with a message naming the variable", (env, message) => {
    expect(errorOf(env)).toMatch(message);
  });

  it.each([
    ["90s", 90_000],
    ["15m", 900_000],
    ["2h", 7_200_000],
    ["1d", 86_400_000],
    ["30", 30_000],
  ])("reads REMINDER_GRACE=%s as %d ms", (text, ms) => {
    expect(loadConfig({ REMINDER_GRACE: text }).reminderGraceMs).toBe(ms);
  });

  it("reads a secret from NAME_FILE and refuses NAME together with NAME_FILE", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "taskjet-config-"));
    const file = path.join(dir, "secret");
    writeFileSync(file, "s".repeat(40) + "\n");
    expect(loadConfig({ JWT_SECRET_FILE: file }).jwt.secret).toBe("s".repeat(40));
    expect(errorOf({ JWT_SECRET_FILE: file, JWT_SECRET: "t".repeat(40) })).toBe("JWT_SECRET and JWT_SECRET_FILE are both set; keep one");
    expect(errorOf({ JWT_SECRET_FILE: path.join(dir, "missing") })).toMatch(/^JWT_SECRET_FILE: cannot read .* \(ENOENT\)$/);
  });

  it("picks roles from TASKJET_ROLES, ignoring blanks and repeats", () => {
    expect(loadConfig({ TASKJET_ROLES: " api, relay,,api " }).roles).toEqual(["api", "relay"]);
  });

  it("never throws anything but a one-line ConfigError for any PORT value", () => {
    fc.assert(
      fc.property(fc.string(), (port) => {
        try {
          const config = loadConfig({ PORT: port });
          expect(config.port).toBeGreaterThanOrEqual(0);
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigError);
          expect((err as Error).message).not.toContain("\n");
        }
      }),
    );
  });
});
