// The notification ledger (#/notifications): every email and push the notifier tried for the
// user, newest first, with its status and error — the answer to "why didn't I get reminded?".
import { ApiError, api } from "../api.js";
import { h } from "../dom.js";
import { formatInstant } from "../zoned-time.js";

const STATUS_TEXT = { pending: "Sending", sent: "Sent", failed: "Failed" };

export async function notificationsView({ main }) {
  const body = h("tbody");
  const table = h(
    "table",
    { class: "ledger" },
    h("caption", { class: "visually-hidden" }, "Notifications, newest first"),
    h("thead", {}, h("tr", {}, ["When", "Task", "Channel", "Status", "Details"].map((name) => h("th", { scope: "col" }, name)))),
    body,
  );
  const empty = h("p", { class: "empty", hidden: true }, "No notifications yet. They appear here when a reminder fires.");
  const problem = h("p", { class: "form-error", role: "alert", hidden: true });
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Load more");
  const titles = new Map();
  let cursor = null;

  /** Task titles for the rows, fetched once per task; a deleted task is named as such. */
  async function titleOf(taskId) {
    if (!titles.has(taskId)) {
      titles.set(taskId, api("GET", `/users/me/tasks/${encodeURIComponent(taskId)}`).then((task) => task.title, () => null));
    }
    return titles.get(taskId);
  }

  async function rowOf(item) {
    const title = await titleOf(item.task_id);
    const when = item.sent_at || item.created_at;
    return h(
      "tr",
      { class: `status-${item.status}` },
      h("td", {}, h("time", { datetime: when }, formatInstant(when))),
      h("td", {}, title === null ? h("span", { class: "muted" }, "(deleted task)") : h("a", { href: `#/tasks/${item.task_id}` }, title)),
      h("td", {}, item.channel === "push" ? "Push" : "Email"),
      h("td", {}, h("span", { class: `badge ledger-${item.status}` }, STATUS_TEXT[item.status] || item.status)),
      h("td", {}, item.error ? item.error : item.attempts > 1 ? `${item.attempts} attempts` : ""),
    );
  }

  async function load(append) {
    try {
      const page = await api("GET", "/users/me/notifications", { query: { limit: 50, cursor: append ? cursor : undefined } });
      const rows = await Promise.all(page.items.map(rowOf));
      if (append) body.append(...rows);
      else body.replaceChildren(...rows);
      cursor = page.next_cursor;
      more.hidden = !cursor;
      empty.hidden = body.children.length > 0;
      table.hidden = body.children.length === 0;
      problem.hidden = true;
    } catch (err) {
      problem.textContent = err instanceof ApiError ? err.message : "The notifications could not be loaded.";
      problem.hidden = false;
    }
  }
  more.addEventListener("click", () => load(true));

  main.append(
    h("div", { class: "page-head" }, h("h1", { id: "page-title", tabindex: "-1" }, "Notifications"), h("button", { type: "button", class: "secondary", onclick: () => load(false) }, "Refresh")),
    problem,
    h("div", { class: "table-scroll" }, table),
    empty,
    more,
  );
  await load(false);
  // Deliveries are not on the TASKS stream that live sync carries: look again every 15 s while shown.
  const timer = setInterval(() => {
    if (!document.hidden) void load(false);
  }, 15_000);
  return () => clearInterval(timer);
}
