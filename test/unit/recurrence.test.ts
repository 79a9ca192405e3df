// Recurrence rules as a table: the input, the task's due time and zone, and the occurrences that must follow.
import fc from "fast-check";
import rrulePkg from "rrule";
import { describe, expect, it } from "vitest";
import { nextOccurrence, occurrencesAfter, recurrenceInput, ruleText, toRrule } from "../../src/domain/recurrence.ts";
import { fromWallClock, toWallClock, UTC_ZONES } from "../../src/domain/zoned-time.ts";

const { RRule } = rrulePkg;

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

  it("finds the next occurrence of an hourly rule started decades ago without walking every hour", () => {
    const text = rule({ rrule: "FREQ=HOURLY;INTERVAL=7;BYMINUTE=15" }, "1990-01-01T00:00:00Z", "Europe/Berlin");
    const started = performance.now();
    const next = nextOccurrence(text, "Europe/Berlin", new Date("2026-11-22T12:00:00Z"));
    expect(performance.now() - started).toBeLessThan(100); // walking 36 years of hours took ~2 s; a few periods take well under 1 ms
    // 01:15 wall-clock plus a multiple of 7 h (46 199 periods on) is 18:15 CET.
    expect(next?.toISOString()).toBe("2026-11-22T17:15:00.000Z");
  });

  it("skips ahead to the same occurrences the rule gives from its start (hourly, daily, weekly, any interval and BY parts)", () => {
    const rules = fc.record({
      freq: fc.constantFrom("HOURLY", "DAILY", "WEEKLY"),
      interval: fc.integer({ min: 1, max: 9 }),
      // (hourly with INTERVAL and BYHOUR, or daily every 7 days with BYDAY, may never match: refused, see the inputs)
      byHour: fc.option(fc.uniqueArray(fc.integer({ min: 0, max: 23 }), { minLength: 1, maxLength: 4 }), { nil: undefined }),
      byDay: fc.option(fc.uniqueArray(fc.constantFrom("MO", "TU", "WE", "TH", "FR", "SA", "SU"), { minLength: 1, maxLength: 3 }), { nil: undefined }),
    });
    const start = Date.parse("2024-01-01T00:00:00Z");
    fc.assert(
      fc.property(rules, fc.integer({ min: 0, max: 365 * 86_400 }), fc.integer({ min: 0, max: 400 * 86_400 }), (r, anchorS, laterS) => {
        const byHour = r.byHour && !(r.freq === "HOURLY" && r.interval > 1) ? [`BYHOUR=${r.byHour.join(",")}`] : [];
        const byDay = r.byDay && !(r.freq === "DAILY" && r.interval === 7) ? [`BYDAY=${r.byDay.join(",")}`] : [];
        const rrule = [`FREQ=${r.freq}`, `INTERVAL=${r.interval}`, ...byHour, ...byDay].join(";");
        const anchor = new Date(start + anchorS * 1000);
        const after = new Date(anchor.getTime() + laterS * 1000);
        // UTC: wall clock = instant.
        const fromStart = new RRule({ ...RRule.parseString(rrule), dtstart: anchor }).after(after, false);
        expect(nextOccurrence(ruleText(rrule, anchor, "UTC"), "UTC", after)?.toISOString()).toBe(fromStart?.toISOString());
      }),
      { numRuns: 100 },
    );
  });

  it("does not skip ahead a rule with BYEASTER, which rrule expands yearly whatever its FREQ", () => {
    const anchor = new Date("2026-01-05T09:00:00Z");
    for (const rrule of ["FREQ=HOURLY;BYEASTER=0", "FREQ=DAILY;INTERVAL=3;BYEASTER=0"]) {
      const fromStart = new RRule({ ...RRule.parseString(rrule), dtstart: anchor }).after(new Date("2027-06-01T00:00:00Z"), false);
      expect(nextOccurrence(ruleText(rrule, anchor, "UTC"), "UTC", new Date("2027-06-01T00:00:00Z"))?.toISOString(), rrule).toBe(fromStart?.toISOString());
    }
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
    [{ rrule: "FREQ=MINUTELY;INTERVAL=30" }, "at most hourly"],
    [{ rrule: "FREQ=SECONDLY" }, "at most hourly"],
    [{ rrule: "FREQ=DAILY;COUNT=10001" }, "COUNT is at most 10000"],
    [{ rrule: "FREQ=HOURLY;INTERVAL=9;BYHOUR=5" }, "BYHOUR needs one hour of each step"], // from 09:00: 09, 18, 03, 12, … never 05
    [{ rrule: "FREQ=HOURLY;INTERVAL=2;BYHOUR=8,10" }, "BYHOUR needs one hour of each step"],
    [{ rrule: "FREQ=DAILY;INTERVAL=7;BYDAY=MO" }, "use FREQ=WEEKLY with BYDAY"], // from a Tuesday: Tuesdays only
    [{ rrule: "FREQ=DAILY;BYMONTH=2,4;BYMONTHDAY=31" }, "no month in BYMONTH has a day in BYMONTHDAY"],
    [{ rrule: "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=-30" }, "no month in BYMONTH has a day in BYMONTHDAY"],
    [{ rrule: "FREQ=DAILY;BYMONTHDAY=32" }, "BYMONTHDAY is out of range"],
    [{ rrule: "FREQ=WEEKLY;BYHOUR=24" }, "BYHOUR is out of range"],
    [{ rrule: "FREQ=DAILY;BYSETPOS=2" }, "BYSETPOS points past the 1 time(s) of each day"],
    [{ rrule: "FREQ=MONTHLY;INTERVAL=12;BYMONTH=6" }, "BYMONTH needs one month of each step"], // from January: Januaries only
    [{ rrule: "FREQ=DAILY;BYYEARDAY=1;BYMONTH=6" }, "no day passes BYYEARDAY or BYWEEKNO"],
    [{ rrule: "FREQ=HOURLY;BYYEARDAY=-1;BYMONTH=1" }, "no day passes BYYEARDAY or BYWEEKNO"],
    [{ rrule: "FREQ=DAILY;BYWEEKNO=1;BYMONTH=6" }, "no day passes BYYEARDAY or BYWEEKNO"],
    [{ rrule: "FREQ=YEARLY;BYWEEKNO=20;BYMONTHDAY=1;BYMONTH=1" }, "no day passes BYYEARDAY or BYWEEKNO"],
    [{ rrule: "FREQ=YEARLY;BYYEARDAY=60;BYMONTHDAY=2" }, "no day passes BYYEARDAY or BYWEEKNO"], // day 60 is Feb 29 or Mar 1
    [{ rrule: "FREQ=DAILY;INTERVAL=x" }, "INTERVAL is a whole number from 1"],
    [{ rrule: "FREQ=DAILY;INTERVAL=0" }, "INTERVAL is a whole number from 1"],
  ])("rejects %o naming %s", (input, field) => {
    const result = recurrenceInput.safeParse(input);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error!.issues)).toContain(field);
  });

  it.each(["FREQ=weekly;BYDAY=mo,we", "FREQ=DAILY;BYHOUR=8,20;BYSETPOS=-1", "FREQ=HOURLY;INTERVAL=2;BYHOUR=8,9", "FREQ=HOURLY;INTERVAL=5;BYHOUR=3", "FREQ=DAILY;INTERVAL=3;BYDAY=MO", "FREQ=DAILY;INTERVAL=14;BYDAY=MO,TU,WE,TH,FR,SA,SU", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=-1", "FREQ=DAILY;BYWEEKNO=1;BYMONTH=12", "FREQ=YEARLY;BYYEARDAY=366;BYMONTH=12;BYDAY=MO", "FREQ=MONTHLY;BYYEARDAY=100,200;BYDAY=1MO", "FREQ=MONTHLY;INTERVAL=2;BYMONTH=1,4"])(
    "accepts %s, which matches from any start",
    (rrule) => expect(recurrenceInput.safeParse({ rrule }).success).toBe(true),
  );

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

  it("reads every instant's wall clock as Intl does, across DST changes and odd offsets (offsets cached per hour)", () => {
    const zones = ["America/New_York", "Europe/Berlin", "Europe/Dublin", "Australia/Lord_Howe", "Asia/Kathmandu", "America/St_Johns", "Pacific/Chatham", "Africa/Casablanca"];
    const formats = new Map(zones.map((zone) => [zone, new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" })]));
    const intlWall = (ms: number, zone: string) => {
      const f = Object.fromEntries(formats.get(zone)!.formatToParts(ms).map((p) => [p.type, Number(p.value)]));
      return Date.UTC(f.year!, f.month! - 1, f.day!, f.hour!, f.minute!, f.second!) + new Date(ms).getUTCMilliseconds();
    };
    // Every 22 minutes 31 s through 2026 (every transition of these zones, hit near its edge), then random instants since 1850.
    for (const zone of zones) {
      for (let ms = Date.parse("2026-01-01T00:00:00Z"); ms < Date.parse("2027-01-01T00:00:00Z"); ms += 1_351_000) {
        if (toWallClock(new Date(ms), zone).getTime() !== intlWall(ms, zone)) expect.fail(`${zone} at ${new Date(ms).toISOString()}`);
      }
    }
    const instants = fc.integer({ min: Date.parse("1850-01-01T00:00:00Z"), max: Date.parse("2100-01-01T00:00:00Z") });
    fc.assert(fc.property(fc.constantFrom(...zones), instants, (zone, ms) => toWallClock(new Date(ms), zone).getTime() === intlWall(ms, zone)), { numRuns: 2_000 });
  });

  it("maps instants one to one in UTC and every alias it reads without Intl, as Intl would", () => {
    const instants = fc.date({ min: new Date("1850-01-01T00:00:00Z"), max: new Date("2200-01-01T00:00:00Z"), noInvalidDate: true });
    fc.assert(
      fc.property(fc.constantFrom(...UTC_ZONES), instants, (zone, instant) => {
        const f = Object.fromEntries(new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" }).formatToParts(instant).map((p) => [p.type, Number(p.value)]));
        const intlWall = Date.UTC(f.year!, f.month! - 1, f.day!, f.hour!, f.minute!, f.second!) + instant.getUTCMilliseconds();
        expect(intlWall).toBe(instant.getTime());
        expect(toWallClock(instant, zone).getTime()).toBe(instant.getTime());
        expect(fromWallClock(instant, zone).getTime()).toBe(instant.getTime());
      }),
    );
  });
});
