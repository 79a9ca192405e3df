// The in-memory limiter with an injected clock: bursts, refill, window rollover, eviction, and the
// client key that anonymous requests count against.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clientBucket } from "../../src/api/middleware/rate-limit/client-key.ts";
import { makeRateLimiter } from "../../src/api/middleware/rate-limit/limiter.ts";

const MINUTE = 60_000;

function clock(start = 1_700_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

describe("rate limiter", () => {
  it("allows a burst of `limit`, counting Remaining down, then refuses with the wait until the next token", () => {
    const time = clock();
    const limiter = makeRateLimiter({ limit: 3, windowMs: MINUTE, now: time.now });
    const decisions = [1, 2, 3, 4].map(() => limiter.hit("a"));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
    expect(decisions.map((d) => d.remaining)).toEqual([2, 1, 0, 0]);
    expect(decisions.map((d) => d.resetMs)).toEqual([20_000, 40_000, 60_000, 60_000]);
    expect(decisions[3]!.retryAfterMs).toBe(20_000);
    expect(decisions.slice(0, 3).every((d) => d.retryAfterMs === 0)).toBe(true);
  });

  it("refills one request per window/limit, and refused requests do not use up quota", () => {
    const time = clock();
    const limiter = makeRateLimiter({ limit: 3, windowMs: MINUTE, now: time.now });
    for (let i = 0; i < 3; i++) limiter.hit("a");
    for (let i = 0; i < 10; i++) expect(limiter.hit("a").allowed).toBe(false);
    time.advance(19_999);
    expect(limiter.hit("a")).toMatchObject({ allowed: false, retryAfterMs: 1 });
    time.advance(1);
    expect(limiter.hit("a")).toMatchObject({ allowed: true, remaining: 0 });
    expect(limiter.hit("a").allowed).toBe(false);
  });

  it("gives the whole quota back once a window has passed", () => {
    const time = clock();
    const limiter = makeRateLimiter({ limit: 5, windowMs: MINUTE, now: time.now });
    for (let i = 0; i < 5; i++) limiter.hit("a");
    time.advance(MINUTE);
    expect(limiter.hit("a")).toMatchObject({ allowed: true, remaining: 4, resetMs: 12_000 });
  });

  it("allows exactly `limit` at once when window/limit is not a whole number of ms", () => {
    const time = clock();
    const limiter = makeRateLimiter({ limit: 7, windowMs: MINUTE, now: time.now });
    const allowed = Array.from({ length: 8 }, () => limiter.hit("a").allowed);
    expect(allowed).toEqual([true, true, true, true, true, true, true, false]);
  });

  it("keeps one bucket per key", () => {
    const time = clock();
    const limiter = makeRateLimiter({ limit: 1, windowMs: MINUTE, now: time.now });
    expect(limiter.hit("a").allowed).toBe(true);
    expect(limiter.hit("a").allowed).toBe(false);
    expect(limiter.hit("b").allowed).toBe(true);
  });

  it("forgets keys idle for a whole window, which changes no decision", () => {
    const time = clock();
    const limiter = makeRateLimiter({ limit: 2, windowMs: MINUTE, now: time.now });
    for (let i = 0; i < 100; i++) limiter.hit(`idle-${i}`);
    time.advance(30_000);
    limiter.hit("recent");
    expect(limiter.size()).toBe(101);
    time.advance(30_000);
    limiter.hit("now");
    expect(limiter.size()).toBe(2); // the 100 idle keys are gone; "recent" (30 s old) and "now" stay
    expect(limiter.hit("idle-0")).toMatchObject({ allowed: true, remaining: 1 });
  });

  it("holds at most maxKeys, dropping the least recently seen first", () => {
    const time = clock();
    const limiter = makeRateLimiter({ limit: 1, windowMs: MINUTE, now: time.now, maxKeys: 3 });
    for (const key of ["a", "b", "c"]) limiter.hit(key);
    limiter.hit("a"); // refused, but "a" is now the most recently seen
    limiter.hit("d");
    expect(limiter.size()).toBe(3);
    expect(limiter.hit("a").allowed).toBe(false); // still remembered
    expect(limiter.hit("b").allowed).toBe(true); // was dropped: a fresh bucket
  });

  it("never lets more than limit + elapsed/interval through between two allowed requests", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.array(fc.integer({ min: 0, max: 10_000 }), { maxLength: 200 }), (limit, gaps) => {
        const time = clock();
        const limiter = makeRateLimiter({ limit, windowMs: MINUTE, now: time.now });
        const allowedAt: number[] = [];
        for (const gap of gaps) {
          time.advance(gap);
          if (limiter.hit("k").allowed) allowedAt.push(time.now());
        }
        const interval = MINUTE / limit;
        for (let i = 0; i < allowedAt.length; i++) {
          for (let j = i; j < allowedAt.length; j++) {
            expect(j - i + 1).toBeLessThanOrEqual(limit + (allowedAt[j]! - allowedAt[i]!) / interval + 1e-9);
          }
        }
      }),
    );
  });

  it("refuses a limit below 1 (0 means no limiter at all, decided by the middleware)", () => {
    expect(() => makeRateLimiter({ limit: 0 })).toThrow(RangeError);
  });
});

describe("client key", () => {
  it.each([
    ["203.0.113.7", "203.0.113.7"],
    ["::ffff:203.0.113.7", "203.0.113.7"],
    ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"],
    ["2001:0db8:0001:0002::9", "2001:db8:1:2::/64"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    ["fe80::1%eth0", "fe80:0:0:0::/64"],
    ["not-an-address", "not-an-address"],
    ["1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8:9"],
  ])("%s counts as %s", (address, expected) => {
    expect(clientBucket(address)).toBe(expected);
  });

  it("puts two addresses of one /64 in one bucket and a neighbouring /64 in another", () => {
    expect(clientBucket("2001:db8:1:2::a")).toBe(clientBucket("2001:db8:1:2:ffff::b"));
    expect(clientBucket("2001:db8:1:3::a")).not.toBe(clientBucket("2001:db8:1:2::a"));
  });
});
