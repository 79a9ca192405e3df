// The task page: create (#/new) or edit (#/tasks/ID) a task — title, description, priority, tags,
// due date and time in a chosen zone, reminders, recurrence — and for a saved task its next
// five dates (the API's ?preview=5), complete / reopen / delete. Rules are the API's: the form
// sends what the user typed (novalidate) and shows each error at the field the API names.
import { ApiError, api } from "../api.js";
import { clearErrors, field, fieldset, formError, h, showError } from "../dom.js";
import { allZones, formatInstant, instantToWall, preferredZone, wallToInstant } from "../zoned-time.js";
import { recurrenceFieldset } from "./recurrence-fieldset.js";
import { remindersFieldset } from "./reminders-fieldset.js";
import { taskActions } from "./task-actions.js";

const PRIORITIES = ["low", "medium", "high", "urgent"];
const capitalise = (text) => text.charAt(0).toUpperCase() + text.slice(1);

export async function taskFormView({ main, params, navigate, live }) {
  const task = params.id ? await api("GET", `/users/me/tasks/${encodeURIComponent(params.id)}`, { query: { preview: 5 } }) : null;
  const startZone = task ? task.timezone : preferredZone();
  const wall = task && task.due_at ? instantToWall(task.due_at, startZone) : { date: "", time: "" };

  const title = h("input", { type: "text", name: "title", value: task ? task.title : "", autocomplete: "off", maxlength: "500" });
  const description = h("textarea", { name: "description", rows: "3" }, task ? task.description : "");
  const priority = h("select", { name: "priority" }, PRIORITIES.map((p) => h("option", { value: p, selected: p === (task ? task.priority : "medium") }, capitalise(p))));
  const tags = h("input", { type: "text", name: "tags", value: task ? task.tags.join(", ") : "", autocomplete: "off" });
  const date = h("input", { type: "date", name: "due-date", value: wall.date });
  const time = h("input", { type: "time", name: "due-time", value: wall.time });
  const zone = h("select", { name: "timezone" }, allZones(startZone).map((z) => h("option", { value: z, selected: z === startZone }, z.replace(/_/g, " "))));
  date.addEventListener("change", () => {
    if (date.value && !time.value) time.value = "09:00";
  });

  const reminders = remindersFieldset(task, () => zone.value);
  const recurrence = recurrenceFieldset(task, () => date.value, () => zone.value);
  const save = h("button", { type: "submit", class: "primary" }, task ? "Save changes" : "Create task");
  const form = h(
    "form",
    { novalidate: true, class: "task-form", "aria-labelledby": "page-title" },
    formError(),
    field("title", "Title", title),
    field("description", "Description", description),
    h("div", { class: "row" }, field("priority", "Priority", priority), field("tags", "Tags", tags, { hint: "Separate tags with commas" })),
    fieldset("due_at", "When it is due", [h("div", { class: "row" }, field("due-date", "Due date", date), field("due-time", "Due time", time), field("timezone", "Time zone", zone))]),
    reminders.element,
    recurrence.element,
    h("div", { class: "actions" }, save, h("a", { href: "#/", class: "button secondary" }, "Cancel")),
  );

  function values() {
    return {
      title: title.value,
      description: description.value,
      priority: priority.value,
      tags: tags.value.split(",").map((t) => t.trim()).filter(Boolean),
      due_at: date.value ? wallToInstant(date.value, time.value, zone.value).toISOString() : null,
      timezone: zone.value,
      reminders: reminders.value(),
    };
  }
  // Edits send only what changed, so a rule's series anchor and snoozed reminders stay put.
  const initial = values();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    save.disabled = true;
    try {
      if (!task) {
        const created = await api("POST", "/users/me/tasks", { body: { ...values(), recurrence: recurrence.value() ?? null } });
        return navigate(`#/tasks/${created.id}`, "Task created.");
      }
      const now = values();
      const body = Object.fromEntries(Object.entries(now).filter(([key, value]) => JSON.stringify(value) !== JSON.stringify(initial[key])));
      if (recurrence.changed()) body.recurrence = recurrence.value();
      if (Object.keys(body).length === 0) return navigate(`#/tasks/${task.id}`, "Nothing changed.");
      await api("PATCH", `/users/me/tasks/${task.id}`, { body, headers: { "if-match": `"${task.version}"` } });
      navigate(`#/tasks/${task.id}`, "Changes saved.");
    } catch (err) {
      if (err instanceof ApiError && err.status === 412) err.message = "This task was changed elsewhere since you opened it. Reload the page to edit the latest version.";
      showError(form, err instanceof ApiError ? err : new ApiError(0, null));
    } finally {
      save.disabled = false;
    }
  });

  main.append(h("h1", { id: "page-title", tabindex: "-1" }, task ? "Edit task" : "New task"));
  if (task) main.append(taskSummary(task, navigate));
  main.append(form);
  if (task && task.recurrence) main.append(previewSection(task));
  if (!task) return undefined;

  // Someone else changed this task: say so rather than silently editing a stale copy.
  const notice = h("p", { class: "notice", role: "status", hidden: true });
  main.insertBefore(notice, form);
  return live.subscribe((event) => {
    if (!event || !event.data || event.data.id !== task.id || event.data.version <= task.version) return;
    notice.hidden = false;
    notice.replaceChildren(
      event.event_type === "task.deleted" ? "This task was deleted elsewhere. " : "This task was changed elsewhere. ",
      event.event_type === "task.deleted" ? h("a", { href: "#/" }, "Back to the list") : h("button", { type: "button", class: "link", onclick: () => navigate(`#/tasks/${task.id}`) }, "Show the latest version"),
    );
  });
}

function taskSummary(task, navigate) {
  const status = task.status === "completed" ? `Completed ${formatInstant(task.completed_at, task.timezone)}` : "Pending";
  return h(
    "div",
    { class: "task-summary" },
    h("p", { class: `status ${task.status}` }, status),
    taskActions(task, {
      onChanged: (changed, message) => navigate(changed ? `#/tasks/${changed.id}` : "#/", message),
    }),
  );
}

function previewSection(task) {
  const dates = task.next_occurrences || [];
  return h(
    "section",
    { class: "preview", "aria-labelledby": "preview-title" },
    h("h2", { id: "preview-title" }, "Next dates"),
    dates.length === 0 ? h("p", {}, "No further dates: the rule has ended.") : h("ol", {}, dates.map((iso) => h("li", {}, h("time", { datetime: iso }, formatInstant(iso, task.timezone))))),
  );
}
