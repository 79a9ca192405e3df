// scrypt password hashes: format, verification, constant-time refusal, and the upgrade path.
import { describe, expect, it } from "vitest";
import { hashPassword, needsRehash, NO_PASSWORD, verifyPassword } from "../../src/auth/password.ts";

describe("password hashes", () => {
  it("are stored as scrypt$N$r$p$salt$hash with a fresh 16-byte salt", async () => {
    const [a, b] = await Promise.all([hashPassword("hunter22"), hashPassword("hunter22")]);
    const [scheme, N, r, p, salt, hash] = a.split("$");
    expect([scheme, N, r, p]).toEqual(["scrypt", String(2 ** 15), "8", "1"]);
    expect(Buffer.from(salt!, "base64")).toHaveLength(16);
    expect(Buffer.from(hash!, "base64")).toHaveLength(32);
    expect(b).not.toBe(a);
  });

  it("verify the right password and refuse a wrong one", async () => {
    const stored = await hashPassword("correct horse");
    expect(await verifyPassword("correct horse", stored)).toBe(true);
    expect(await verifyPassword("correct hors", stored)).toBe(false);
    expect(await verifyPassword("Correct horse", stored)).toBe(false);
  });

  it("compare Unicode passwords in one normal form (é typed composed or decomposed)", async () => {
    const stored = await hashPassword("caf\u00e9-latte");
    expect(await verifyPassword("cafe\u0301-latte", stored)).toBe(true);
  });

  it.each([
    ["the no-password marker", NO_PASSWORD],
    ["an empty string", ""],
    ["another scheme", "bcrypt$2b$10$abcdefghijklmnopqrstuv"],
    ["absurd cost parameters", `scrypt$${2 ** 30}$8$1$${Buffer.alloc(16).toString("base64")}$${Buffer.alloc(32).toString("base64")}`],
    ["a truncated hash", `scrypt$32768$8$1$${Buffer.alloc(16).toString("base64")}$AAAA`],
  ])("never match %s", async (_what, stored) => {
    expect(await verifyPassword("anything at all", stored)).toBe(false);
  });

  it("verify hashes made with other parameters, and flag them for re-hashing", async () => {
    const salt = Buffer.from("0123456789abcdef");
    const { scryptSync } = await import("node:crypto");
    const old = `scrypt$16384$8$1$${salt.toString("base64")}$${scryptSync("old password", salt, 32, { N: 16384, r: 8, p: 1 }).toString("base64")}`;
    expect(await verifyPassword("old password", old)).toBe(true);
    expect(needsRehash(old)).toBe(true);
    expect(needsRehash(await hashPassword("new password"))).toBe(false);
  });

  it("cost about 100 ms of CPU per hash (median of 5), whatever else shares the machine", async () => {
    const cpuMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      // CPU time of this process (scrypt runs on a libuv thread of it), not wall time: other test
      // files on the same cores slow the wall clock, not the work. docs/auth.md has wall-clock numbers.
      const before = process.cpuUsage();
      await hashPassword("timing");
      const used = process.cpuUsage(before);
      cpuMs.push((used.user + used.system) / 1000);
    }
    cpuMs.sort((a, b) => a - b);
    expect(cpuMs[2]).toBeGreaterThan(20); // the cost is real (a 2^10 slip would be ~3 ms)
    expect(cpuMs[2]).toBeLessThan(200); // and bounded (2^16 would be ~200 ms, 2^17 ~400 ms)
  });
});
