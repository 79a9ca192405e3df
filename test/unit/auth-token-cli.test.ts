// `taskjet token`: a token for an existing user, signed with the server's key, for the asked TTL.
import path from "node:path";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { verifyLocalToken } from "../../src/auth/access-token.ts";
import { loadJwtSecret } from "../../src/auth/secret.ts";
import { parseTtl, runToken } from "../../src/cli/token.ts";
import { loadConfig, type Config } from "../../src/config.ts";
import { migrateStore, openStore } from "../../src/db/store.ts";
import { createUser, type User } from "../../src/db/users.ts";
import { tempDir } from "../helpers/context.ts";
import { testLog } from "../helpers/db.ts";

let config: Config;
let user: User;

beforeAll(async () => {
  const dataDir = tempDir();
  config = loadConfig({ DATA_DIR: dataDir, DATABASE_URL: `file:${path.join(dataDir, "taskjet.db")}`, LOG_LEVEL: "silent" });
  const store = await openStore({ databaseUrl: config.databaseUrl, sqliteSynchronous: "normal", checkNestedWrites: true, log: testLog });
  await migrateStore(store);
  user = (await store.write((tx) => createUser(tx, { email: "ops@example.test", name: "Ops", passwordHash: "!", role: "admin" })))!;
  await store.close();
});

/** Runs the command and returns its exit code and what it wrote to stdout and stderr. */
async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => (out.push(String(chunk)), true));
  const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => (err.push(String(chunk)), true));
  try {
    return { code: await runToken(config, argv), stdout: out.join(""), stderr: err.join("") };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

afterAll(() => vi.restoreAllMocks());

describe("taskjet token", () => {
  it("prints only a token the server accepts, for the user's current role, valid 1 h by default", async () => {
    const { code, stdout } = await run(["--user", user.id]);
    expect(code).toBe(0);
    const token = stdout.trim();
    expect(stdout).toBe(`${token}\n`);
    expect((await verifyLocalToken(await loadJwtSecret(config), token)).userId).toBe(user.id);
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ sub: user.id, role: "admin", iss: "taskjet" });
    expect(claims.exp! - claims.iat!).toBe(3600);
  });

  it("takes the user by email too, and a --ttl", async () => {
    const { code, stdout } = await run(["--user", "OPS@example.test", "--ttl", "15m"]);
    expect(code).toBe(0);
    const claims = decodeJwt(stdout.trim());
    expect(claims.sub).toBe(user.id);
    expect(claims.exp! - claims.iat!).toBe(900);
  });

  it("exits 1 for a user that does not exist, printing nothing on stdout", async () => {
    const { code, stdout, stderr } = await run(["--user", "0190a0a0-0000-7000-8000-000000000000"]);
    expect([code, stdout]).toEqual([1, ""]);
    expect(stderr).toContain("no user 0190a0a0-0000-7000-8000-000000000000");
  });

  it("exits 2 without --user or with a bad --ttl", async () => {
    expect((await run([])).code).toBe(2);
    const bad = await run(["--user", user.id, "--ttl", "forever"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--ttl "forever"');
  });

  it.each([
    ["90s", 90],
    ["15m", 900],
    ["1h", 3600],
    ["7d", 604_800],
    ["120", 120],
    ["0", null],
    ["366d", null],
    ["1w", null],
    ["-5m", null],
  ])("parses --ttl %s as %s seconds", (text, seconds) => {
    expect(parseTtl(text)).toBe(seconds);
  });
});
