// Recurrence in plain words. The form works with a "choice" ({pattern, interval, days, monthDay,
// ends, repeatFrom}); this module turns it into the API's structured form, reads a stored RRULE
// back into a choice for editing, and describes either in a sentence ("Every 2 weeks on Mon and Wed").

/** RFC 5545 weekday codes in display order, with short and long names. */
export const WEEKDAYS = [
  ["MO", "Mon", "Monday"],
  ["TU", "Tue", "Tuesday"],
  ["WE", "Wed", "Wednesday"],
  ["TH", "Thu", "Thursday"],
  ["FR", "Fri", "Friday"],
  ["SA", "Sat", "Saturday"],
  ["SU", "Sun", "Sunday"],
];

export const UNITS = { daily: ["day", "days"], weekly: ["week", "weeks"], monthly: ["month", "months"], yearly: ["year", "years"] };

/** A choice meaning "repeat weekly on `day`" etc.: the form's defaults when the user picks a pattern. */
export function defaultChoice(pattern, dueDate) {
  const day = dueDate ? new Date(`${dueDate}T12:00:00Z`) : new Date();
  const weekday = WEEKDAYS[(day.getUTCDay() + 6) % 7][0];
  return { pattern, interval: 1, days: pattern === "weekly" ? [weekday] : [], monthDay: day.getUTCDate(), ends: { kind: "never" }, repeatFrom: "due" };
}

/** The API's structured recurrence for a choice (null for "does not repeat"). */
export function toStructured(choice) {
  if (!choice || choice.pattern === "none") return null;
  const out = { pattern: choice.pattern, interval: choice.interval, repeat_from: choice.repeatFrom };
  if ((choice.pattern === "weekly" || choice.pattern === "daily") && choice.days.length > 0) out.days_of_week = choice.days;
  if (choice.pattern === "monthly") out.day_of_month = choice.monthDay === "last" ? -1 : choice.monthDay;
  if (choice.ends.kind === "count") out.count = choice.ends.count;
  if (choice.ends.kind === "until") out.until = choice.ends.until;
  return out;
}

/** `UNTIL=20260601T215900Z` → RFC 3339. */
function untilToIso(text) {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})Z?)?$/.exec(text);
  return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] || 0), +(m[5] || 0), +(m[6] || 0))).toISOString() : null;
}

const KNOWN_PARTS = new Set(["FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYSETPOS", "BYMONTH", "COUNT", "UNTIL", "WKST"]);

/**
 * A stored recurrence ({rrule, repeat_from}) as a choice, or null when the rule says more than the
 * form can (hourly rules, "2nd Tuesday"…): those are shown as text and kept as they are.
 */
export function parseRecurrence(recurrence, dueDate) {
  if (!recurrence) return { ...defaultChoice("none", dueDate), pattern: "none" };
  const parts = Object.fromEntries(recurrence.rrule.split(";").map((p) => p.split("=")));
  const pattern = { DAILY: "daily", WEEKLY: "weekly", MONTHLY: "monthly", YEARLY: "yearly" }[parts.FREQ];
  if (!pattern || Object.keys(parts).some((k) => !KNOWN_PARTS.has(k))) return null;
  const choice = { ...defaultChoice(pattern, dueDate), interval: Number(parts.INTERVAL || 1), repeatFrom: recurrence.repeat_from };
  if (parts.BYDAY) {
    const days = parts.BYDAY.split(",");
    if (pattern !== "weekly" && pattern !== "daily") return null;
    if (days.some((d) => !WEEKDAYS.some(([code]) => code === d))) return null;
    choice.days = days;
  } else if (pattern === "weekly") {
    choice.days = [];
  }
  if (pattern === "monthly" && parts.BYMONTHDAY) {
    // Days 29–31 are stored as "the last of 28..N" (BYSETPOS=-1): the largest listed day is the choice.
    const days = parts.BYMONTHDAY.split(",").map(Number);
    choice.monthDay = days.includes(-1) ? "last" : Math.max(...days);
  } else if (pattern !== "yearly" && (parts.BYMONTHDAY || parts.BYSETPOS || parts.BYMONTH)) {
    return null;
  }
  if (parts.COUNT) choice.ends = { kind: "count", count: Number(parts.COUNT) };
  else if (parts.UNTIL) choice.ends = { kind: "until", until: untilToIso(parts.UNTIL) };
  return choice;
}

function list(words) {
  return words.length <= 1 ? words.join("") : `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;
}

/** "Every 2 weeks on Mon and Wed, 10 times, from the completion date". */
export function describeChoice(choice, formatDate = (iso) => iso.slice(0, 10)) {
  if (!choice || choice.pattern === "none") return "Does not repeat";
  const [one, many] = UNITS[choice.pattern];
  let text = choice.interval > 1 ? `Every ${choice.interval} ${many}` : `Every ${one}`;
  if (choice.days.length > 0 && (choice.pattern === "weekly" || choice.pattern === "daily")) {
    const names = WEEKDAYS.filter(([code]) => choice.days.includes(code)).map(([, short]) => short);
    text += ` on ${list(names)}`;
  }
  if (choice.pattern === "monthly") text += choice.monthDay === "last" ? " on the last day" : ` on day ${choice.monthDay}`;
  if (choice.ends.kind === "count") text += choice.ends.count === 1 ? ", once" : `, ${choice.ends.count} times`;
  if (choice.ends.kind === "until" && choice.ends.until) text += `, until ${formatDate(choice.ends.until)}`;
  if (choice.repeatFrom === "completion") text += ", from the completion date";
  return text;
}

/** A task's recurrence in words, whatever its rule. */
export function describeRecurrence(recurrence, formatDate) {
  if (!recurrence) return "";
  const choice = parseRecurrence(recurrence);
  if (choice) return describeChoice(choice, formatDate);
  return `Custom rule ${recurrence.rrule}${recurrence.repeat_from === "completion" ? ", from the completion date" : ""}`;
}
