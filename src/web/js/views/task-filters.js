// The search and filter bar above the task list. Every control has a visible label; changes apply
// at once (search after a short pause in typing), so there is no "Apply" button to hunt for.
import { field, h } from "../dom.js";

export const SORTS = [
  ["due_at:asc", "Due date"],
  ["priority:desc", "Priority"],
  ["created_at:desc", "Newest"],
  ["updated_at:desc", "Recently changed"],
  ["relevance:desc", "Best match"],
];

/** The list's filters from the hash query (`#/?q=milk&status=completed`), with defaults. */
export function readFilters(query) {
  const sort = SORTS.some(([value]) => value === query.get("sort")) ? query.get("sort") : "due_at:asc";
  return {
    q: query.get("q") || "",
    status: ["pending", "completed", "all"].includes(query.get("status")) ? query.get("status") : "pending",
    priority: query.get("priority") || "",
    tag: query.get("tag") || "",
    overdue: query.get("overdue") === "1",
    sort,
  };
}

const option = (value, label, selected) => h("option", { value, selected: value === selected }, label);

/** The bar as {element, setTag(tag)}; `onChange(filters)` runs with the new values. */
export function filterForm(initial, onChange) {
  const q = h("input", { type: "search", name: "q", value: initial.q, autocomplete: "off", enterkeyhint: "search" });
  const status = h("select", { name: "status" }, [option("pending", "Open", initial.status), option("completed", "Completed", initial.status), option("all", "All", initial.status)]);
  const priority = h("select", { name: "priority" }, [option("", "Any", initial.priority), ...["urgent", "high", "medium", "low"].map((p) => option(p, p[0].toUpperCase() + p.slice(1), initial.priority))]);
  const tag = h("input", { type: "text", name: "tag", value: initial.tag, autocomplete: "off" });
  const overdue = h("input", { type: "checkbox", name: "overdue", id: "filter-overdue", checked: initial.overdue });
  const sort = h("select", { name: "sort" }, SORTS.map(([value, label]) => option(value, label, initial.sort)));

  const element = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Search and filter tasks" },
    field("q", "Search", q),
    h("div", { class: "row" }, field("status", "Status", status), field("priority", "Priority", priority), field("tag", "Tag", tag), field("sort", "Sort by", sort)),
    h("div", { class: "check" }, overdue, h("label", { for: "filter-overdue" }, "Only overdue")),
  );

  function values() {
    // "Best match" ranks search hits; without a search it has nothing to rank by.
    const bestMatch = sort.querySelector('option[value="relevance:desc"]');
    bestMatch.disabled = !q.value.trim();
    if (bestMatch.disabled && sort.value === "relevance:desc") sort.value = "due_at:asc";
    return { q: q.value.trim(), status: status.value, priority: priority.value, tag: tag.value.trim(), overdue: overdue.checked, sort: sort.value };
  }
  const emit = () => onChange(values());
  let typing;
  element.addEventListener("input", (event) => {
    if (event.target !== q && event.target !== tag) return;
    clearTimeout(typing);
    typing = setTimeout(emit, 250);
  });
  element.addEventListener("change", (event) => {
    if (event.target !== q && event.target !== tag) emit();
  });
  element.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(typing);
    emit();
  });
  values();
  return {
    element,
    setTag(value) {
      tag.value = value;
      emit();
      tag.focus();
    },
  };
}
