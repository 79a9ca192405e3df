import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isoTime } from "../../src/domain/iso-time.ts";

const YEAR_1 = Date.parse("0001-01-01T00:00:00.000Z");
const YEAR_10000 = Date.parse("+010000-01-01T00:00:00.000Z");
// Date's own limit: ±8.64e15 ms around 1970.
const DATE_LIMIT = 8.64e15;

describe("isoTime", () => {
  it("writes every instant of the years 1 to 9999 exactly as toISOString does", () => {
    fc.assert(
      fc.property(fc.integer({ min: YEAR_1, max: YEAR_10000 - 1 }), (ms) => {
        expect(isoTime(new Date(ms))).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 20_000 },
    );
  });

  it.each([
    ["the epoch", 0],
    ["the last millisecond before it", -1],
    ["the first instant of year 1", YEAR_1],
    ["the last instant of year 9999", YEAR_10000 - 1],
    ["a leap day", Date.parse("2028-02-29T23:59:59.999Z")],
  ])("writes %s as toISOString does", (_, ms) => {
    expect(isoTime(new Date(ms))).toBe(new Date(ms).toISOString());
  });

  it("leaves six-digit years to toISOString", () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -DATE_LIMIT, max: YEAR_1 - 1 }), fc.integer({ min: YEAR_10000, max: DATE_LIMIT })), (ms) => {
        expect(isoTime(new Date(ms))).toBe(new Date(ms).toISOString());
      }),
    );
  });

  it("refuses an invalid date as toISOString does", () => {
    expect(() => isoTime(new Date(Number.NaN))).toThrow(RangeError);
  });
});
