// The recurrence part of the task form, in plain words: "Repeat [weekly], every [2] weeks, on
// [Mon] [Wed], ends [never], counted from [the due date]", with the sentence it makes shown live.
import { fieldset, h, nextId } from "../dom.js";
import { UNITS, WEEKDAYS, defaultChoice, describeChoice, parseRecurrence, toStructured } from "../recurrence.js";
import { formatDate, fromLocalInput, instantToWall } from "../zoned-time.js";

const PATTERNS = [
  ["none", "Does not repeat"],
  ["daily", "Daily"],
  ["weekly", "Weekly"],
  ["monthly", "Monthly"],
  ["yearly", "Yearly"],
];

function labelled(label, control) {
  control.id ||= nextId("rec");
  return h("div", { class: "inline-field" }, h("label", { for: control.id }, label), control);
}

function radios(name, options, selected) {
  return options.map(([value, label]) => {
    const id = nextId(name);
    return h("div", { class: "check" }, h("input", { type: "radio", name, id, value, checked: value === selected }), h("label", { for: id }, label));
  });
}

/**
 * `task` is the task being edited (or null), `dueDate()` the form's due date ("YYYY-MM-DD" or ""),
 * `zone()` its zone. Returns {element, value(), changed()}: value() is the API's `recurrence`
 * (structured form or null); changed() is false while the user has not touched a stored rule.
 */
export function recurrenceFieldset(task, dueDate, zone) {
  const stored = task ? task.recurrence : null;
  const parsed = parseRecurrence(stored, dueDate());
  // A rule the form cannot show (set over the API) is kept unless the user picks another one.
  const choice = parsed ?? { ...defaultChoice("none", dueDate()), pattern: "custom" };
  const group = nextId("recurrence");

  const pattern = h("select", {}, PATTERNS.map(([value, label]) => h("option", { value, selected: value === choice.pattern }, label)));
  if (!parsed) pattern.prepend(h("option", { value: "custom", selected: true }, `Keep: ${stored.rrule}`));
  const interval = h("input", { type: "number", min: "1", max: "1000", inputmode: "numeric", value: String(choice.interval), class: "narrow" });
  const unit = h("span", { class: "unit" });
  const days = h(
    "div",
    { class: "checks days", role: "group", "aria-label": "On these days" },
    WEEKDAYS.map(([code, short, long]) => {
      const id = nextId("day");
      return h("div", { class: "check" }, h("input", { type: "checkbox", id, value: code, checked: choice.days.includes(code) }), h("label", { for: id, title: long }, h("span", { "aria-hidden": "true" }, short), h("span", { class: "visually-hidden" }, long)));
    }),
  );
  const monthDayNumber = h("input", { type: "number", min: "1", max: "31", inputmode: "numeric", class: "narrow", value: String(choice.monthDay === "last" ? 1 : choice.monthDay), "aria-label": "Day of the month" });
  const monthDay = h("div", { class: "checks", role: "radiogroup", "aria-label": "Day of the month" }, radios(`${group}-md`, [["day", "On day"]], choice.monthDay === "last" ? "last" : "day"), monthDayNumber, radios(`${group}-md`, [["last", "On the last day"]], choice.monthDay === "last" ? "last" : "day"));
  const count = h("input", { type: "number", min: "1", max: "10000", class: "narrow", value: String(choice.ends.count || 10), "aria-label": "Number of times" });
  const untilWall = choice.ends.until ? instantToWall(choice.ends.until, zone()).date : "";
  const until = h("input", { type: "date", value: untilWall, "aria-label": "End date" });
  const endsOption = (value, label, ...rest) => h("span", { class: "option-group" }, radios(`${group}-ends`, [[value, label]], choice.ends.kind), rest);
  const ends = h("div", { class: "checks", role: "radiogroup", "aria-label": "Ends" }, endsOption("never", "Never"), endsOption("count", "After", count, "times"), endsOption("until", "On", until));
  const repeatFrom = h("div", { class: "checks", role: "radiogroup", "aria-label": "Count the next date from" }, radios(`${group}-from`, [["due", "the due date"], ["completion", "the completion date"]], choice.repeatFrom));
  const summary = h("p", { class: "summary", "aria-live": "polite" });

  const details = h(
    "div",
    { class: "recurrence-details" },
    h("div", { class: "inline-field" }, labelled("Every", interval), unit),
    h("div", { class: "when-days" }, days),
    h("div", { class: "when-monthly" }, monthDay),
    h("div", { class: "sub" }, h("span", { class: "sub-label" }, "Ends"), ends),
    h("div", { class: "sub" }, h("span", { class: "sub-label" }, "Count the next date from"), repeatFrom),
  );
  const element = fieldset("recurrence", "Repeat", [labelled("Repeats", pattern), details, summary]);

  const checkedValue = (name) => (element.querySelector(`input[name="${name}"]:checked`) || {}).value;
  function current() {
    const kind = checkedValue(`${group}-ends`);
    return {
      pattern: pattern.value,
      interval: Math.max(1, Number(interval.value) || 1),
      days: [...days.querySelectorAll("input:checked")].map((box) => box.value),
      monthDay: checkedValue(`${group}-md`) === "last" ? "last" : Number(monthDayNumber.value) || 1,
      ends: kind === "count" ? { kind, count: Number(count.value) || 1 } : kind === "until" && until.value ? { kind, until: fromLocalInput(`${until.value}T23:59`, zone()).toISOString() } : { kind: "never" },
      repeatFrom: checkedValue(`${group}-from`) || "due",
    };
  }

  function refresh() {
    const now = current();
    const repeating = now.pattern !== "none" && now.pattern !== "custom";
    details.hidden = !repeating;
    element.querySelector(".when-days").hidden = !(now.pattern === "weekly" || now.pattern === "daily");
    element.querySelector(".when-monthly").hidden = now.pattern !== "monthly";
    if (repeating) unit.textContent = UNITS[now.pattern][now.interval === 1 ? 0 : 1];
    summary.textContent = now.pattern === "custom" ? "Keeps the rule set over the API." : describeChoice(now, (iso) => formatDate(iso, zone()));
  }
  pattern.addEventListener("change", () => {
    // A fresh pattern starts from its defaults (e.g. weekly on the due date's weekday).
    const fresh = defaultChoice(pattern.value, dueDate());
    for (const box of days.querySelectorAll("input")) box.checked = pattern.value === "weekly" && fresh.days.includes(box.value);
    monthDayNumber.value = String(fresh.monthDay);
  });
  element.addEventListener("input", refresh);
  element.addEventListener("change", refresh);
  refresh();

  const initial = JSON.stringify(parsed ? toStructured(parsed) : null);
  return {
    element,
    value: () => (current().pattern === "custom" ? undefined : toStructured(current())),
    changed: () => current().pattern !== "custom" && JSON.stringify(toStructured(current())) !== initial,
  };
}
