// Recurrence rules as a table: the input, the task's due time and zone, and the occurrences that must follow.
import { describe, expect, it } from "vitest";
import { nextOccurrence, occurrencesAfter, recurrenceInput, ruleText, toRrule } from "../../src/domain/recurrence.ts";
import { fromWallClock, toWallClock } from "../../src/domain/zoned-time.ts";

/** The stored rule for an input anchored at `due` in `zone`. */
function rule(input: unknown, due: string, zone: string): string {
  const dueAt = new Date(due);
  return ruleText(toRrule(recurrenceInput.parse(input), dueAt, zone), dueAt, zone);
}

function next(input: unknown, due: string, zone: string, count: number, after = due): string[] {
  return occurrencesAfter(rule(input, due, zone), zone, new Date(after), count).map((d) => d.toISOString());
}

describe("recurrence: next occurrences", () => {
  it.each([
    ["daily", { pattern: "daily" }, "2026-01-05T09:00:00Z", "UTC", ["2026-01-06T09:00:00.000Z", "2026-01-07T09:00:00.000Z"]],
    ["every 3 days", { pattern: "daily", interval: 3 }, "2026-01-05T09:00:00Z", "UTC", ["2026-01-08T09:00:00.000Z", "2026-01-11T09:00:00.000Z"]],
    ["weekly on Mon and Wed from a Friday", { pattern: "weekly", days_of_week: ["mon", "wed"] }, "2026-01-09T17:00:00Z", "UTC", ["2026-01-12T17:00:00.000Z", "2026-01-14T17:00:00.000Z", "2026-01-19T17:00:00.000Z"]],
    ["every 2 weeks", { pattern: "weekly", interval: 2 }, "2026-01-05T09:00:00Z", "UTC", ["2026-01-19T09:00:00.000Z", "2026-02-02T09:00:00.000Z"]],
    ["monthly on the 31st falls back to the last day", { pattern: "monthly", day_of_month: 31 }, "2026-01-31T10:00:00Z", "UTC", ["2026-02-28T10:00:00.000Z", "2026-03-31T10:00:00.000Z", "2026-04-30T10:00:00.000Z"]],
    ["monthly on the 30th in a leap year", { pattern: "monthly", day_of_month: 30 }, "2028-01-30T10:00:00Z", "UTC", ["2028-02-29T10:00:00.000Z", "2028-03-30T10:00:00.000Z"]],
    ["monthly on the last day", { pattern: "monthly", day_of_month: -1 }, "2026-01-31T10:00:00Z", "UTC", ["2026-02-28T10:00:00.000Z", "2026-03-31T10:00:00.000Z"]],
    ["last Friday of the month (BYSETPOS)", { rrule: "FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1" }, "2026-01-30T15:00:00Z", "UTC", ["2026-02-27T15:00:00.000Z", "2026-03-27T15:00:00.000Z"]],
    ["yearly on Feb 29 falls back to Feb 28", { pattern: "yearly" }, "2028-02-29T08:00:00Z", "UTC", ["2029-02-28T08:00:00.000Z", "2030-02-28T08:00:00.000Z", "2031-02-28T08:00:00.000Z", "2032-02-29T08:00:00.000Z"]],
    ["raw yearly on Feb 29 keeps RFC 5545 (leap years only)", { rrule: "FREQ=YEARLY" }, "2028-02-29T08:00:00Z", "UTC", ["2032-02-29T08:00:00.000Z"]],
    ["COUNT=3 ends the series", { pattern: "weekly", count: 3 }, "2026-01-05T09:00:00Z", "UTC", ["2026-01-12T09:00:00.000Z", "2026-01-19T09:00:00.000Z"], true],
    ["UNTIL ends the series", { pattern: "daily", until: "2026-01-07T09:00:00Z" }, "2026-01-05T09:00:00Z", "UTC", ["2026-01-06T09:00:00.000Z", "2026-01-07T09:00:00.000Z"], true],
    ["daily 09:00 New York across the March switch", { pattern: "daily" }, "2026-03-07T14:00:00Z", "America/New_York", ["2026-03-08T13:00:00.000Z", "2026-03-09T13:00:00.000Z"]],
    ["daily 09:00 New York across the November switch", { pattern: "daily" }, "2026-10-31T13:00:00Z", "America/New_York", ["2026-11-01T14:00:00.000Z", "2026-11-02T14:00:00.000Z"]],
    ["daily 08:00 Berlin across the March switch", { pattern: "daily" }, "2026-03-28T07:00:00Z", "Europe/Berlin", ["2026-03-29T06:00:00.000Z", "2026-03-30T06:00:00.000Z"]],
    ["daily 08:00 Berlin across the October switch", { pattern: "daily" }, "2026-10-24T06:00:00Z", "Europe/Berlin", ["2026-10-25T07:00:00.000Z"]],
    ["weekly Sydney across its April switch", { pattern: "weekly" }, "2026-03-30T22:00:00Z", "Australia/Sydney", ["2026-04-06T23:00:00.000Z"]],
    ["a time inside the skipped hour moves forward by the gap", { pattern: "daily" }, "2026-03-07T07:30:00Z", "America/New_York", ["2026-03-08T07:30:00.000Z", "2026-03-09T06:30:00.000Z"]],
  ] as Array<[string, object, string, string, string[], boolean?]>)("%s", (_name, input, due, zone, expected, ends = false) => {
    const found = next(input, due, zone, expected.length + 1);
    // A series that ends has nothing after the last expected occurrence; an open one has more.
    expect(found).toEqual(ends ? expected : [...expected, expect.any(String)]);
  });

  it("skips a backlog: the first occurrence after a later instant", () => {
    const text = rule({ pattern: "daily" }, "2026-01-05T09:00:00Z", "UTC");
    expect(nextOccurrence(text, "UTC", new Date("2026-02-10T12:00:00Z"))?.toISOString()).toBe("2026-02-11T09:00:00.000Z");
  });

  it("anchors a rule without a due time at the given base", () => {
    const text = ruleText("FREQ=DAILY", null, "UTC");
    expect(nextOccurrence(text, "UTC", new Date("2026-01-05T18:30:00Z"), new Date("2026-01-05T18:30:00Z"))?.toISOString()).toBe("2026-01-06T18:30:00.000Z");
  });

  it("counts COUNT from the series anchor, not from each occurrence", () => {
    const text = rule({ pattern: "daily", count: 3 }, "2026-01-05T09:00:00Z", "UTC");
    expect(nextOccurrence(text, "UTC", new Date("2026-01-07T09:00:00Z"))).toBeNull();
  });
});

describe("recurrence: inputs", () => {
  it.each([
    [{ rrule: "FREQ=SOMETIMES" }, "rrule"],
    [{ rrule: "DTSTART:20260101T000000Z\nRRULE:FREQ=DAILY" }, "rrule"],
    [{ pattern: "hourly" }, "pattern"],
    [{ pattern: "monthly", day_of_month: 0 }, "day_of_month"],
    [{ pattern: "weekly", count: 2, until: "2026-05-01T00:00:00Z" }, "count"],
    [{ pattern: "monthly", days_of_week: ["mon"] }, "days_of_week"],
  ])("rejects %o naming %s", (input, field) => {
    const result = recurrenceInput.safeParse(input);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error!.issues)).toContain(field);
  });

  it("writes structured input as an RRULE", () => {
    expect(toRrule(recurrenceInput.parse({ pattern: "weekly", interval: 2, days_of_week: ["monday", "WE"], count: 5 }), null, "UTC")).toBe(
      "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=5",
    );
    expect(ruleText("FREQ=DAILY", new Date("2026-07-01T07:00:00Z"), "Europe/Berlin")).toBe("DTSTART;TZID=Europe/Berlin:20260701T090000\nRRULE:FREQ=DAILY");
  });
});

describe("zoned time", () => {
  it.each([
    ["2026-03-08T02:30:00Z", "America/New_York", "2026-03-08T07:30:00.000Z"], // skipped: moves forward
    ["2026-11-01T01:30:00Z", "America/New_York", "2026-11-01T05:30:00.000Z"], // repeated: the first one (EDT)
    ["2026-06-01T12:00:00Z", "Asia/Kolkata", "2026-06-01T06:30:00.000Z"],
  ])("wall clock %s in %s is %s", (wall, zone, instant) => {
    expect(fromWallClock(new Date(wall), zone).toISOString()).toBe(instant);
    if (wall !== "2026-03-08T02:30:00Z") expect(toWallClock(new Date(instant), zone).toISOString()).toBe(new Date(wall).toISOString());
  });
});
