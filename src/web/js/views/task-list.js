// The task list (#/): search, filters (status, priority, tag, overdue), sort, pages of 50 with
// "Load more", and rows to complete, open or delete. Filters live in the URL (#/?q=…) so a reload
// or a shared link shows the same list. Live events re-fetch what is shown, keeping focus in place.
import { api, ApiError } from "../api.js";
import { announce, h } from "../dom.js";
import { describeRecurrence } from "../recurrence.js";
import { formatDate, formatInstant } from "../zoned-time.js";
import { filterForm, readFilters } from "./task-filters.js";
import { taskActions } from "./task-actions.js";

const PAGE = 50;

export async function taskListView({ main, query, live }) {
  let filters = readFilters(query);
  let shown = [];
  let cursor = null;
  const list = h("ul", { class: "tasks", "aria-labelledby": "page-title", "aria-busy": "true" });
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Load more");
  const empty = h("p", { class: "empty", hidden: true });
  const problem = h("p", { class: "form-error", role: "alert", hidden: true });
  const count = h("p", { class: "count", "aria-live": "polite" });

  const form = filterForm(filters, (next) => {
    filters = next;
    // replaceState: no hashchange, so typing in the search box does not re-render the page.
    history.replaceState(null, "", `#/${toHashQuery(filters)}`);
    void load();
  });

  async function fetchPage(after, limit) {
    const { status, priority, tag, q, overdue, sort } = filters;
    const [by, order] = sort.split(":");
    return api("GET", "/users/me/tasks", { query: { status: status === "all" ? "" : status, priority, tag, q, overdue: overdue ? "true" : "", sort: by, order, limit, cursor: after } });
  }

  /** Reloads from the first page, as many rows as are shown now (so "Load more" pages stay). */
  async function load() {
    list.setAttribute("aria-busy", "true");
    try {
      const page = await fetchPage(null, Math.min(200, Math.max(PAGE, shown.length)));
      shown = page.items;
      cursor = page.next_cursor;
      problem.hidden = true;
      render();
    } catch (err) {
      problem.textContent = err instanceof ApiError ? err.message : "The list could not be loaded.";
      problem.hidden = false;
    } finally {
      list.setAttribute("aria-busy", "false");
    }
  }

  more.addEventListener("click", async () => {
    more.disabled = true;
    try {
      const page = await fetchPage(cursor, PAGE);
      shown = shown.concat(page.items);
      cursor = page.next_cursor;
      render();
    } finally {
      more.disabled = false;
    }
  });

  function render() {
    // Keep keyboard focus on the same control of the same task, or the next task if it left the list.
    const active = document.activeElement;
    const activeRow = active && active.closest && active.closest("li[data-id]");
    const focusRole = activeRow && active.dataset.role;
    const index = activeRow ? [...list.children].indexOf(activeRow) : -1;
    list.replaceChildren(...shown.map((task) => row(task, { onChanged, onTag })));
    if (activeRow) {
      const target = list.querySelector(`li[data-id="${CSS.escape(activeRow.dataset.id)}"] [data-role="${focusRole}"]`) || list.children[Math.min(index, list.children.length - 1)]?.querySelector(`[data-role="${focusRole}"]`);
      (target || document.getElementById("page-title")).focus();
    }
    more.hidden = !cursor;
    empty.hidden = shown.length > 0;
    empty.replaceChildren(...(isFiltered(filters) ? ["No tasks match these filters."] : ["No tasks yet. ", h("a", { href: "#/new" }, "Create your first task"), "."]));
    count.textContent = shown.length === 0 ? "" : `${shown.length}${cursor ? "+" : ""} task${shown.length === 1 ? "" : "s"}`;
  }

  function onChanged(_task, message) {
    announce(message);
    void load();
  }
  function onTag(tag) {
    form.setTag(tag);
  }

  main.append(
    h("div", { class: "page-head" }, h("h1", { id: "page-title", tabindex: "-1" }, "Tasks"), h("a", { href: "#/new", class: "button primary" }, "New task")),
    form.element,
    count,
    problem,
    list,
    empty,
    more,
  );
  await load();
  // Another tab or device changed something: fetch again (coalesced; events come in bursts).
  let timer;
  const unsubscribe = live.subscribe(() => {
    clearTimeout(timer);
    timer = setTimeout(load, 100);
  });
  return () => {
    clearTimeout(timer);
    unsubscribe();
  };
}

function isFiltered(f) {
  return Boolean(f.q || f.priority || f.tag || f.overdue || f.status !== "pending");
}

function toHashQuery(f) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(f)) if (value && !(key === "status" && value === "pending") && !(key === "sort" && value === "due_at:asc")) params.set(key, value === true ? "1" : value);
  const text = params.toString();
  return text ? `?${text}` : "";
}

function row(task, { onChanged, onTag }) {
  const { toggle, remove, error } = taskActions(task, { onChanged, compact: true });
  toggle.dataset.role = "toggle";
  remove.dataset.role = "delete";
  const overdue = task.status === "pending" && task.due_at && Date.parse(task.due_at) < Date.now();
  const pending = task.reminders.filter((r) => r.status === "pending").length;
  const meta = [
    task.due_at ? h("span", { class: "due" }, "Due ", h("time", { datetime: task.due_at }, formatInstant(task.due_at, task.timezone))) : null,
    overdue ? h("span", { class: "badge overdue" }, "Overdue") : null,
    task.priority !== "medium" ? h("span", { class: `badge priority-${task.priority}` }, `${task.priority} priority`) : null,
    task.recurrence ? h("span", { class: "repeat" }, describeRecurrence(task.recurrence, (iso) => formatDate(iso, task.timezone))) : null,
    pending > 0 ? h("span", { class: "bell" }, pending === 1 ? "1 reminder" : `${pending} reminders`) : null,
    ...task.tags.map((tag) => h("button", { type: "button", class: "tag", "aria-label": `Show tasks tagged ${tag}`, onclick: () => onTag(tag) }, `#${tag}`)),
  ];
  return h(
    "li",
    { class: `task ${task.status}`, dataset: { id: task.id } },
    toggle,
    h("div", { class: "body" }, h("a", { href: `#/tasks/${task.id}`, class: "title", dataset: { role: "open" } }, task.title), h("p", { class: "meta" }, meta), error),
    remove,
  );
}
