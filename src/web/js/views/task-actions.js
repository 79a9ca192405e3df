// Complete / reopen / delete, the same buttons on a list row and on the task page. Button names
// carry the task title ("Complete Water the plants") so a list of them makes sense to a screen reader.
import { ApiError, api } from "../api.js";
import { h } from "../dom.js";

/**
 * `onChanged(task | null, message)` runs after a change went through (null: deleted); errors are
 * shown next to the buttons. With {compact: true} (list rows) the parts come back separately.
 */
export function taskActions(task, { onChanged, compact = false }) {
  const error = h("span", { class: "action-error", role: "alert" });
  const path = `/users/me/tasks/${encodeURIComponent(task.id)}`;

  async function run(button, action) {
    button.disabled = true;
    error.textContent = "";
    try {
      await action();
    } catch (err) {
      error.textContent = err instanceof ApiError ? err.message : "Something went wrong.";
    } finally {
      button.disabled = false;
    }
  }

  const done = task.status === "completed";
  // In the list the toggle is a checkbox (checked = completed): a stable name, its state read aloud.
  const toggle = compact
    ? h("input", { type: "checkbox", class: "toggle", checked: done, "aria-label": `Done: ${task.title}` })
    : h("button", { type: "button", class: "secondary", "aria-label": `${done ? "Reopen" : "Complete"} ${task.title}` }, done ? "Reopen" : "Complete");
  toggle.addEventListener(compact ? "change" : "click", () =>
    run(toggle, async () => {
      try {
        const changed = await api("PATCH", `${path}/${done ? "reopen" : "complete"}`);
        const next = !done && task.recurrence ? " The next occurrence is on its way." : "";
        onChanged(changed, done ? `Reopened “${task.title}”.` : `Completed “${task.title}”.${next}`);
      } catch (err) {
        if (compact) toggle.checked = done;
        throw err;
      }
    }),
  );

  const remove = h("button", { type: "button", class: compact ? "icon danger" : "danger", "aria-label": `Delete ${task.title}` }, compact ? h("span", { "aria-hidden": "true" }, "✕") : "Delete");
  remove.addEventListener("click", () =>
    run(remove, async () => {
      if (!window.confirm(`Delete “${task.title}”? This cannot be undone.`)) return;
      await api("DELETE", path);
      onChanged(null, `Deleted “${task.title}”.`);
    }),
  );

  return compact ? { toggle, remove, error } : h("div", { class: "task-actions" }, toggle, remove, error);
}
