// Valid events for tests, built through the same envelope code the app uses.
import { uuidv7 } from "uuidv7";
import type { TaskView } from "../../src/domain/task.ts";
import { makeEvent } from "../../src/streams/envelope.ts";

export function sampleTask(overrides: Partial<TaskView> = {}): TaskView {
  const now = new Date().toISOString();
  return {
    id: uuidv7(),
    user_id: "u1",
    title: "Water the plants",
    description: "",
    status: "pending",
    priority: "medium",
    tags: [],
    due_at: null,
    timezone: "UTC",
    recurrence: null,
    series_id: null,
    reminders: [],
    completed_at: null,
    created_at: now,
    updated_at: now,
    version: 1,
    ...overrides,
  };
}

export function taskCreated(userId: string, overrides: Partial<TaskView> = {}) {
  return makeEvent({ type: "task.created", userId, source: "test", data: sampleTask({ user_id: userId, ...overrides }) });
}
