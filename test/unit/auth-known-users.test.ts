// The known-user cache: hits for a TTL, misses never cached, least recently used evicted first.
import { describe, expect, it } from "vitest";
import type { UserRole } from "../../src/db/schema/enums.ts";
import { makeKnownUsers } from "../../src/auth/known-users.ts";

function fakeDatabase(initial: Record<string, UserRole>) {
  const rows = new Map(Object.entries(initial));
  const lookups: string[] = [];
  let clock = 0;
  return {
    rows,
    lookups,
    tick: (ms: number) => (clock += ms),
    now: () => clock,
    lookup: async (id: string) => {
      lookups.push(id);
      return rows.get(id) ?? null;
    },
  };
}

describe("known users", () => {
  it("look a user up once per TTL", async () => {
    const db = fakeDatabase({ a: "user" });
    const users = makeKnownUsers({ lookup: db.lookup, ttlMs: 1000, now: db.now });
    expect(await users.roleOf("a")).toBe("user");
    db.tick(999);
    expect(await users.roleOf("a")).toBe("user");
    expect(db.lookups).toEqual(["a"]);
    db.tick(1);
    await users.roleOf("a");
    expect(db.lookups).toEqual(["a", "a"]);
  });

  it("notice a deleted user after the TTL at most, and at once after forget", async () => {
    const db = fakeDatabase({ a: "user", b: "admin" });
    const users = makeKnownUsers({ lookup: db.lookup, ttlMs: 1000, now: db.now });
    await users.roleOf("a");
    await users.roleOf("b");
    db.rows.clear();
    users.forget("a");
    expect(await users.roleOf("a")).toBeNull();
    expect(await users.roleOf("b")).toBe("admin"); // stale, within the bound
    db.tick(1000);
    expect(await users.roleOf("b")).toBeNull();
  });

  it("never cache a miss, so a user created a moment later is found", async () => {
    const db = fakeDatabase({});
    const users = makeKnownUsers({ lookup: db.lookup, now: db.now });
    expect(await users.roleOf("new")).toBeNull();
    db.rows.set("new", "user");
    expect(await users.roleOf("new")).toBe("user");
  });

  it("evict the least recently used entry beyond maxEntries", async () => {
    const db = fakeDatabase({ a: "user", b: "user", c: "user" });
    const users = makeKnownUsers({ lookup: db.lookup, maxEntries: 2, now: db.now });
    await users.roleOf("a");
    await users.roleOf("b");
    await users.roleOf("a"); // a is now the most recent
    await users.roleOf("c"); // evicts b
    db.lookups.length = 0;
    await users.roleOf("a");
    await users.roleOf("b");
    expect(db.lookups).toEqual(["b"]);
  });

  it("use a remembered role without a lookup", async () => {
    const db = fakeDatabase({});
    const users = makeKnownUsers({ lookup: db.lookup, now: db.now });
    users.remember("r", "admin");
    expect(await users.roleOf("r")).toBe("admin");
    expect(db.lookups).toEqual([]);
  });
});
