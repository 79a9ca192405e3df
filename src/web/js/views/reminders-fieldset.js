// The reminders part of the task form: presets relative to the due time ("at due time", "15 min
// before", "1 day before") and custom times. Offsets the presets don't cover (set over the API)
// stay listed as their own checkboxes, so editing a task never drops them unnoticed.
import { fieldset, h, nextId } from "../dom.js";
import { fromLocalInput, toLocalInput } from "../zoned-time.js";

export const PRESETS = [
  { offset: 0, label: "At due time" },
  { offset: -15, label: "15 min before" },
  { offset: -1440, label: "1 day before" },
];

/** "2 h before", "3 days before": a label for any offset in minutes (≤ 0). */
export function offsetLabel(offset) {
  const preset = PRESETS.find((p) => p.offset === offset);
  if (preset) return preset.label;
  const minutes = -offset;
  if (minutes % 1440 === 0) return `${minutes / 1440} day${minutes === 1440 ? "" : "s"} before`;
  if (minutes % 60 === 0) return `${minutes / 60} h before`;
  return `${minutes} min before`;
}

/**
 * `task` is the task being edited (or null); `zone()` the zone custom times are read in at save.
 * Returns {element, value()} where value() is the API's `reminders` array.
 */
export function remindersFieldset(task, zone) {
  const existing = task ? task.reminders : [];
  const offsets = [...new Set([...PRESETS.map((p) => p.offset), ...existing.filter((r) => r.offset_minutes !== null).map((r) => r.offset_minutes)])].sort((a, b) => b - a);
  const checked = new Set(existing.filter((r) => r.offset_minutes !== null).map((r) => r.offset_minutes));
  // A reminder's channels are kept as they were; new ones use both (the API default).
  const channelsOf = new Map(existing.map((r) => [r.offset_minutes ?? r.at, r.channels]));

  const boxes = offsets.map((offset) => {
    const id = nextId("reminder");
    const box = h("input", { type: "checkbox", id, value: String(offset), checked: checked.has(offset) });
    return h("div", { class: "check" }, box, h("label", { for: id }, offsetLabel(offset)));
  });
  const customList = h("ul", { class: "custom-times" });
  const addCustom = (iso) => {
    const input = h("input", { type: "datetime-local", value: iso ? toLocalInput(iso, zone()) : "", "aria-label": "Custom reminder time", dataset: { original: iso || "" } });
    const row = h(
      "li",
      {},
      input,
      h("button", { type: "button", class: "link", onclick: () => { row.remove(); addButton.focus(); } }, "Remove"),
    );
    customList.append(row);
    return input;
  };
  const addButton = h("button", { type: "button", class: "secondary", onclick: () => addCustom(null).focus() }, "Add a custom time");
  for (const reminder of existing) if (reminder.at) addCustom(reminder.at);

  const element = fieldset("reminders", "Reminders", [
    h("p", { class: "hint" }, "Relative reminders need a due date. Custom times are in the task's time zone."),
    h("div", { class: "checks" }, boxes),
    customList,
    addButton,
  ]);

  function value() {
    const reminders = [];
    for (const box of element.querySelectorAll("input[type=checkbox]:checked")) {
      const offset = Number(box.value);
      reminders.push(withChannels({ offset_minutes: offset }, channelsOf.get(offset)));
    }
    for (const input of customList.querySelectorAll("input")) {
      if (!input.value) continue;
      const original = input.dataset.original;
      // Unchanged custom times keep their exact instant, even if the zone's offset rules moved.
      const at = original && toLocalInput(original, zone()) === input.value ? original : fromLocalInput(input.value, zone()).toISOString();
      reminders.push(withChannels({ at }, channelsOf.get(original)));
    }
    return reminders;
  }
  return { element, value };
}

function withChannels(reminder, channels) {
  return channels ? { ...reminder, channels } : reminder;
}
