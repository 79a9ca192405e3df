// The task every write benchmark creates: a typical dated task, no tags or reminders, so the
// baseline's single row is exactly the row taskjet writes.
export const TASK_BODY = JSON.stringify({
  title: "Water the plants",
  description: "the ferns in the hall need it most",
  priority: "high",
  due_at: "2030-05-01T09:00:00Z",
  timezone: "Europe/Berlin",
});
