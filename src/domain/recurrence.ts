// Recurrence rules: the two input forms (raw RRULE or structured), their RFC 5545 text, and the
// next occurrence. Rules run on wall-clock time in the task's zone so 09:00 stays 09:00 across DST.
import rrulePkg from "rrule";
import { z } from "zod";
import { instant } from "./instant.ts";
import { fromWallClock, toWallClock } from "./zoned-time.ts";

const { RRule } = rrulePkg;

export const REPEAT_FROM = ["due", "completion"] as const;
export type RepeatFrom = (typeof REPEAT_FROM)[number];

const WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"] as const;
const WEEKDAY_NAMES: Record<string, (typeof WEEKDAYS)[number]> = {
  mon: "MO", monday: "MO", tue: "TU", tuesday: "TU", wed: "WE", wednesday: "WE", thu: "TH", thursday: "TH",
  fri: "FR", friday: "FR", sat: "SA", saturday: "SA", sun: "SU", sunday: "SU",
};
const weekday = z
  .string()
  .transform((d) => WEEKDAY_NAMES[d.toLowerCase()] ?? d.toUpperCase())
  .pipe(z.enum(WEEKDAYS, { message: "expected a weekday: MO…SU or mon…sun" }));

const MAX_COUNT = 10_000;

/** Parts of RFC 5545 a task rule may not carry: the anchor comes from the task's due_at and zone. */
const FORBIDDEN_PARTS = /(^|;|\n)\s*(DTSTART|TZID|RDATE|EXDATE)\b/i;

export const rawRecurrence = z.object({
  rrule: z
    .string()
    .min(6)
    .max(500)
    .transform((text) => text.trim().replace(/^RRULE:/i, ""))
    .refine((text) => !FORBIDDEN_PARTS.test(text), "give only the RRULE part (FREQ=…); the start is the task's due_at")
    .superRefine((text, ctx) => {
      const problem = ruleProblem(text);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    }),
  repeat_from: z.enum(REPEAT_FROM).default("due"),
});

export const structuredRecurrence = z
  .object({
    pattern: z.enum(["daily", "weekly", "monthly", "yearly"]),
    interval: z.number().int().min(1).max(1000).default(1),
    days_of_week: z.array(weekday).min(1).max(7).optional(),
    day_of_month: z.number().int().min(-1).max(31).refine((d) => d !== 0, "1–31, or -1 for the last day").optional(),
    until: instant.optional(),
    count: z.number().int().min(1).max(MAX_COUNT).optional(),
    repeat_from: z.enum(REPEAT_FROM).default("due"),
  })
  .refine((r) => !(r.until && r.count), { message: "give until or count, not both", path: ["count"] })
  .refine((r) => !r.days_of_week || r.pattern === "weekly" || r.pattern === "daily", {
    message: "days_of_week applies to daily and weekly patterns",
    path: ["days_of_week"],
  })
  .refine((r) => r.day_of_month === undefined || r.pattern === "monthly", { message: "day_of_month applies to the monthly pattern", path: ["day_of_month"] });

export const recurrenceInput = z.union([rawRecurrence, structuredRecurrence]);
export type RecurrenceInput = z.input<typeof recurrenceInput>;

/** The rule's options, as the stored (upper-cased) rule will read; null when rrule cannot parse it. */
function parsedRule(text: string): Partial<rrulePkg.Options> | null {
  try {
    return RRule.parseString(text.toUpperCase());
  } catch {
    return null;
  }
}

/** The values of a BY part, as a list (rrule gives one value bare). */
function byValues<T>(value: T | T[] | null | undefined): T[] {
  return value === undefined || value === null ? [] : [value].flat() as T[];
}

/** The valid range of each numeric BY part (RFC 5545 3.3.10); `signed` parts count from the end too. */
const BY_RANGES = [
  { part: "bymonth", min: 1, max: 12, signed: false },
  { part: "bymonthday", min: 1, max: 31, signed: true },
  { part: "byyearday", min: 1, max: 366, signed: true },
  { part: "byweekno", min: 1, max: 53, signed: true },
  { part: "byhour", min: 0, max: 23, signed: false },
  { part: "byminute", min: 0, max: 59, signed: false },
  { part: "bysecond", min: 0, max: 59, signed: false },
  { part: "bysetpos", min: 1, max: 366, signed: true },
] as const;

/** The most days each month can have (February in a leap year). */
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * What is wrong with a rule text, or null. Besides syntax, the checks keep every accepted rule
 * cheap to expand: rrule walks from the series' start to each next occurrence, on the event loop,
 * and a rule that can never match made it walk to the year 9999 (or, for an hourly BYHOUR it
 * cannot reach, loop forever).
 */
function ruleProblem(text: string): string | null {
  const options = parsedRule(text);
  if (options?.freq === undefined || /[\n\r]/.test(text)) return "not a valid RFC 5545 RRULE (e.g. FREQ=WEEKLY;BYDAY=MO,WE)";
  const interval = options.interval ?? 1;
  if (!Number.isInteger(interval) || interval < 1) return "INTERVAL is a whole number from 1";
  // Finer rules are not reminders' business, and every occurrence of them would be a task.
  if (options.freq === RRule.MINUTELY || options.freq === RRule.SECONDLY) return "a task repeats at most hourly (FREQ=HOURLY, DAILY, WEEKLY, MONTHLY or YEARLY)";
  // COUNT is counted from the series' start on every next occurrence: bounded as the structured form's.
  if ((options.count ?? 0) > MAX_COUNT) return "COUNT is at most 10000";
  for (const { part, min, max, signed } of BY_RANGES) {
    const ok = (v: number) => Number.isInteger(v) && ((v >= min && v <= max) || (signed && v <= -min && v >= -max));
    if (!byValues(options[part]).every(ok)) return `${part.toUpperCase()} is out of range (${signed ? "±" : ""}${min}–${max})`;
  }
  const never = neverMatches(options, interval);
  return never && `this rule never matches: ${never}`;
}

/**
 * Why a valid rule can never match, if it can't. A rule steps INTERVAL units from its start, so it
 * reaches only one residue class of hours mod gcd(INTERVAL, 24), of weekdays mod gcd(INTERVAL, 7)
 * or of months mod gcd(INTERVAL, 12): its BY list needs one of every class, whatever the start. A BYMONTHDAY must
 * exist in some BYMONTH month, and a daily or hourly BYSETPOS within the times of one period.
 */
function neverMatches(options: Partial<rrulePkg.Options>, interval: number): string | null {
  const coversEveryStep = (values: number[], cycle: number) => {
    const step = gcd(interval, cycle);
    return Array.from({ length: step }, (_, residue) => values.some((v) => v % step === residue)).every(Boolean);
  };
  const hours = byValues(options.byhour);
  if (options.freq === RRule.HOURLY && hours.length > 0 && !coversEveryStep(hours, 24)) {
    return "FREQ=HOURLY with this INTERVAL reaches only some hours: BYHOUR needs one hour of each step (INTERVAL=2 needs an even and an odd hour)";
  }
  const weekdays = byValues(options.byweekday).map((d) => (typeof d === "number" ? d : typeof d === "string" ? WEEKDAYS.indexOf(d) : d.weekday));
  if (options.freq === RRule.DAILY && weekdays.length > 0 && !coversEveryStep(weekdays, 7)) {
    return "FREQ=DAILY with an INTERVAL of whole weeks stays on one weekday: use FREQ=WEEKLY with BYDAY";
  }
  const months = byValues(options.bymonth);
  if (options.freq === RRule.MONTHLY && months.length > 0 && !coversEveryStep(months.map((m) => m - 1), 12)) {
    return "FREQ=MONTHLY with this INTERVAL reaches only some months: BYMONTH needs one month of each step (INTERVAL=12 is FREQ=YEARLY)";
  }
  const monthDays = byValues(options.bymonthday);
  if (months.length > 0 && monthDays.length > 0 && monthDays.every((d) => months.every((m) => Math.abs(d) > DAYS_IN_MONTH[m - 1]!))) {
    return "no month in BYMONTH has a day in BYMONTHDAY";
  }
  // A daily or hourly period holds one time per combination of its finer BY values (one by default).
  const timesPer = (parts: Array<number | null | undefined | number[]>) => parts.reduce<number>((n, p) => n * Math.max(1, byValues(p).length), 1);
  const period = options.freq === RRule.DAILY ? { name: "day", times: timesPer([options.byhour, options.byminute, options.bysecond]) } : options.freq === RRule.HOURLY ? { name: "hour", times: timesPer([options.byminute, options.bysecond]) } : null;
  const positions = byValues(options.bysetpos);
  if (period && positions.length > 0 && positions.every((p) => Math.abs(p) > period.times)) {
    return `BYSETPOS points past the ${period.times} time(s) of each ${period.name}`;
  }
  if ((byValues(options.byyearday).length > 0 || byValues(options.byweekno).length > 0) && !someDayPassesFilters(options)) {
    return "no day passes BYYEARDAY or BYWEEKNO together with the rule's other day parts (BYMONTH, BYMONTHDAY, BYDAY)";
  }
  return null;
}

/** The Gregorian calendar repeats itself, weekdays and leap days included, every 400 years. */
const CALENDAR_CYCLE_YEARS = 400;

/**
 * Whether any day at all passes the rule's day filters, asked of a yearly rule with the same
 * filters over one cycle of the calendar, so the answer is exact: ~6 ms when no day passes (~80 ms
 * with BYWEEKNO), paid once when the rule is refused, and a first match ends the search at once.
 * BYYEARDAY and BYWEEKNO are too irregular to judge by arithmetic as above, and a rule whose
 * filters exclude each other made rrule walk every period to the year 9999 on each next
 * occurrence: 6 s for `FREQ=DAILY;BYYEARDAY=1;BYMONTH=6`, 12 s for `FREQ=DAILY;BYWEEKNO=1;BYMONTH=6`.
 * BYDAY with an ordinal (1MO) means something else yearly, so it is left out: a wider filter, which
 * can only say "some day" more often, never refuse a rule that matches.
 */
function someDayPassesFilters(options: Partial<rrulePkg.Options>): boolean {
  const weekdays = byValues(options.byweekday);
  const ordinal = weekdays.some((d) => typeof d === "object" && d !== null && (d as rrulePkg.Weekday).n);
  const start = new Date(Date.UTC(2000, 0, 1));
  const filters = new RRule({
    freq: RRule.YEARLY,
    dtstart: start,
    until: new Date(Date.UTC(2000 + CALENDAR_CYCLE_YEARS, 0, 1)),
    wkst: options.wkst,
    bymonth: options.bymonth,
    byweekno: options.byweekno,
    byyearday: options.byyearday,
    bymonthday: options.bymonthday,
    byweekday: ordinal ? null : options.byweekday,
  });
  return filters.after(start, true) !== null;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function untilPart(iso: string): string {
  return new Date(iso).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

/** Days 29–31 don't exist in every month: take the last day that does ("monthly on the 31st" → Feb 28). */
function monthDayParts(day: number): string {
  if (day === -1 || day < 29) return `BYMONTHDAY=${day}`;
  const candidates = Array.from({ length: day - 27 }, (_, i) => 28 + i);
  return `BYMONTHDAY=${candidates.join(",")};BYSETPOS=-1`;
}

/** The RRULE (without DTSTART) for either input form. Structured yearly rules on Feb 29 fall back to Feb 28. */
export function toRrule(input: z.output<typeof recurrenceInput>, dueAt: Date | null, timeZone: string): string {
  if ("rrule" in input) return input.rrule.toUpperCase();
  const parts = [`FREQ=${input.pattern.toUpperCase()}`];
  if (input.interval > 1) parts.push(`INTERVAL=${input.interval}`);
  if (input.days_of_week) parts.push(`BYDAY=${[...new Set(input.days_of_week)].join(",")}`);
  if (input.day_of_month !== undefined) parts.push(monthDayParts(input.day_of_month));
  if (input.pattern === "yearly" && dueAt) {
    const wall = toWallClock(dueAt, timeZone);
    if (wall.getUTCMonth() === 1 && wall.getUTCDate() === 29) parts.push("BYMONTH=2", "BYMONTHDAY=28,29", "BYSETPOS=-1");
  }
  if (input.count) parts.push(`COUNT=${input.count}`);
  if (input.until) parts.push(`UNTIL=${untilPart(input.until)}`);
  return parts.join(";");
}

/** A task's rule as the database keeps it: RFC 5545 text with the series anchor (DTSTART in the zone). */
export function ruleText(rrule: string, anchor: Date | null, timeZone: string): string {
  if (!anchor) return `RRULE:${rrule}`;
  const wall = toWallClock(anchor, timeZone).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "");
  return `DTSTART;TZID=${timeZone}:${wall}\nRRULE:${rrule}`;
}

/** The RRULE part of stored rule text, for the API. */
export function rrulePart(text: string): string {
  return text.split("\n").find((line) => line.startsWith("RRULE:"))!.slice("RRULE:".length);
}

/** The instant the series starts (its DTSTART), or null for a rule anchored at completion. */
export function ruleAnchor(text: string, timeZone: string): Date | null {
  const anchor = anchorOf(text);
  return anchor ? fromWallClock(anchor.wall, timeZone) : null;
}

function anchorOf(text: string): { wall: Date } | null {
  const match = /^DTSTART;TZID=[^:]+:(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})/m.exec(text);
  if (!match) return null;
  const [y, mo, d, h, mi, s] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  return { wall: new Date(Date.UTC(y, mo - 1, d, h, mi, s)) };
}

/**
 * Occurrences of a stored rule strictly after `after`, at most `limit`. A rule without an anchor
 * (no due_at) is anchored at `fallbackAnchor`.
 */
export function occurrencesAfter(text: string, timeZone: string, after: Date, limit: number, fallbackAnchor: Date = after): Date[] {
  const anchorWall = anchorOf(text)?.wall ?? toWallClock(fallbackAnchor, timeZone);
  const options = RRule.parseString(rrulePart(text));
  // UNTIL is a UTC instant (RFC 5545); the rule runs in wall-clock time, so move it there too.
  if (options.until) options.until = toWallClock(options.until, timeZone);
  const results: Date[] = [];
  // Compare in wall-clock space, but step a second back so an occurrence at exactly `after` is skipped by the instant check below.
  let cursor = toWallClock(after, timeZone);
  cursor = new Date(cursor.getTime() - 1_000);
  const rule = new RRule({ ...options, dtstart: fastForward(anchorWall, options, cursor) });
  while (results.length < limit) {
    const next = rule.after(cursor, false);
    if (!next) break;
    const instant = fromWallClock(next, timeZone);
    if (instant.getTime() > after.getTime()) results.push(instant);
    cursor = next;
  }
  return results;
}

/** Lengths of the periods that are the same in every wall-clock stretch: an hour, a day, a week. */
const FIXED_PERIOD_MS: Partial<Record<rrulePkg.Frequency, number>> = {
  [RRule.HOURLY]: 3_600_000,
  [RRule.DAILY]: 86_400_000,
  [RRule.WEEKLY]: 7 * 86_400_000,
};

/**
 * A start whole periods of the rule later, just before `cursor`, for the rules whose occurrences it
 * leaves unchanged (fixed-length periods, no COUNT): rrule walks every period from the start, and
 * an hourly rule due in 2000 took 1.8 s of the event loop per next occurrence.
 */
function fastForward(anchorWall: Date, options: Partial<rrulePkg.Options>, cursor: Date): Date {
  const unit = options.freq === undefined ? undefined : FIXED_PERIOD_MS[options.freq];
  // BYEASTER (an rrule extension) makes rrule expand the rule yearly, whatever FREQ says.
  if (unit === undefined || options.count || byValues(options.byeaster).length > 0) return anchorWall;
  const period = unit * Math.max(1, options.interval ?? 1);
  const periods = Math.floor((cursor.getTime() - anchorWall.getTime()) / period) - 1;
  return periods > 0 ? new Date(anchorWall.getTime() + periods * period) : anchorWall;
}

export function nextOccurrence(text: string, timeZone: string, after: Date, fallbackAnchor?: Date): Date | null {
  return occurrencesAfter(text, timeZone, after, 1, fallbackAnchor)[0] ?? null;
}
