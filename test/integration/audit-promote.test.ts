// `taskjet user promote EMAIL`: the user becomes admin in the users table, and the API treats
// them as admin from then on (it reads the role there, not from the token); unknown emails fail.
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { authOf } from "../../src/auth/authenticator.ts";
import { runUser } from "../../src/cli/user.ts";
import { openTestApp, type TestApp } from "../helpers/app.ts";
import { signUp, type SignedUp } from "../helpers/auth.ts";
import { describeEachDialect } from "../helpers/db.ts";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.ts";

/** Runs the command in-process and returns its exit code and output. */
async function run(t: TestApp, argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => (out.push(String(chunk)), true));
  const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => (err.push(String(chunk)), true));
  try {
    return { code: await runUser(t.ctx.config, argv), stdout: out.join(""), stderr: err.join("") };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

await describeEachDialect("taskjet user promote", (dialect) => {
  let nats: NatsServer;
  let t: TestApp;
  let first: SignedUp, ops: SignedUp;

  beforeAll(async () => {
    nats = await startNatsServer();
    t = await openTestApp({ dialect, nats });
    first = await signUp(t);
    ops = await signUp(t);
  });
  afterAll(async () => {
    await t?.close();
    await nats?.stop();
  });

  it("makes the user admin: once the server's 30 s role cache lets go, their token may read another user's audit log", async () => {
    expect(ops.role).toBe("user");
    const { code, stdout, stderr } = await run(t, ["promote", ops.email.toUpperCase()]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(stdout).toBe(`promoted ${ops.email} (${ops.userId}) to admin\n`);
    const readFirstUsersLog = () => t.request("GET", `/api/v1/audit?user_id=${first.userId}`, { token: ops.accessToken });
    // Registering cached the role "user" in this process; the cache's 30 s TTL is what forget() stands for.
    (await authOf(t.ctx)).knownUsers.forget(ops.userId);
    expect((await readFirstUsersLog()).status).toBe(200);
  });

  it("says so and succeeds when the user is admin already", async () => {
    expect(await run(t, ["promote", first.email])).toEqual({ code: 0, stdout: `${first.email} (${first.userId}) is already admin\n`, stderr: "" });
  });

  it("exits 1 with one clear line for an unknown email, changing nothing", async () => {
    const { code, stdout, stderr } = await run(t, ["promote", "nobody@example.test"]);
    expect({ code, stdout }).toEqual({ code: 1, stdout: "" });
    expect(stderr).toBe("taskjet user promote: no user with email nobody@example.test\n");
  });

  it("exits 2 with the usage for anything but promote EMAIL", async () => {
    for (const argv of [[], ["promote"], ["demote", first.email], ["promote", "a@b.test", "c@d.test"]]) {
      const { code, stderr } = await run(t, argv);
      expect(code).toBe(2);
      expect(stderr).toContain("usage: taskjet user promote EMAIL");
    }
  });
});
