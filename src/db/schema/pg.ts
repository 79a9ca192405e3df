// Postgres tables. Mirror of ./sqlite.ts: same table names, column names and JS
// value shapes (Dates, parsed JSON, number), so one query module runs on either;
// the type test in test/integration/store.test.ts keeps the two from drifting.
// Full-text search (tasks.search tsvector + GIN index) lives in the custom
// migration, not here, so drizzle never selects it.
import { sql } from "drizzle-orm";
import { bigint, index, integer, jsonb, pgTable, primaryKey, text, timestamp as pgTimestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { uuidv7 } from "uuidv7";
import type {
  DeliveryChannel,
  NotificationStatus,
  ReminderStatus,
  RepeatFrom,
  TaskPriority,
  TaskStatus,
  UserRole,
} from "./enums.ts";

const id = () => uuid("id").primaryKey().$defaultFn(uuidv7);
/** timestamptz(3): millisecond precision like a JS Date (and SQLite), so keyset cursors compare exactly. */
const timestamp = (name: string) => pgTimestamp(name, { withTimezone: true, mode: "date", precision: 3 });
const createdAt = () => timestamp("created_at").notNull().$defaultFn(() => new Date());

export const users = pgTable("users", {
  id: id(),
  email: text("email").notNull().unique("users_email_uq"),
  name: text("name").notNull(),
  passwordHash: text("password_hash").notNull(),
  role: text("role").$type<UserRole>().notNull().default("user"),
  createdAt: createdAt(),
  updatedAt: timestamp("updated_at").notNull().$defaultFn(() => new Date()),
});

export const refreshTokens = pgTable(
  "refresh_tokens",
  {
    id: id(),
    userId: uuid("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull().unique("refresh_tokens_token_hash_uq"),
    familyId: uuid("family_id").notNull(),
    expiresAt: timestamp("expires_at").notNull(),
    createdAt: createdAt(),
    usedAt: timestamp("used_at"),
  },
  (t) => [index("refresh_tokens_user_idx").on(t.userId), index("refresh_tokens_family_idx").on(t.familyId)],
);

export const tasks = pgTable(
  "tasks",
  {
    id: id(),
    userId: uuid("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    title: text("title").notNull(),
    description: text("description").notNull().default(""),
    status: text("status").$type<TaskStatus>().notNull().default("pending"),
    priority: text("priority").$type<TaskPriority>().notNull().default("medium"),
    tags: jsonb("tags").$type<string[]>().notNull().default([]),
    dueAt: timestamp("due_at"),
    timezone: text("timezone").notNull().default("UTC"),
    rrule: text("rrule"),
    repeatFrom: text("repeat_from").$type<RepeatFrom>(),
    seriesId: uuid("series_id"),
    completedAt: timestamp("completed_at"),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at").notNull().$defaultFn(() => new Date()),
    version: integer("version").notNull().default(1),
  },
  (t) => [
    index("tasks_user_created_idx").on(t.userId, t.createdAt, t.id),
    index("tasks_user_updated_idx").on(t.userId, t.updatedAt, t.id),
    index("tasks_user_due_idx").on(t.userId, t.dueAt, t.id),
    index("tasks_user_priority_idx").on(t.userId, t.priority, t.id),
    index("tasks_user_status_idx").on(t.userId, t.status),
    // The recurring worker's exactly-once key: one occurrence per series and due time.
    uniqueIndex("tasks_series_due_uq")
      .on(t.seriesId, t.dueAt)
      .where(sql`series_id IS NOT NULL AND due_at IS NOT NULL`),
  ],
);

export const taskTags = pgTable(
  "task_tags",
  {
    taskId: uuid("task_id").notNull().references(() => tasks.id, { onDelete: "cascade" }),
    userId: uuid("user_id").notNull(),
    tag: text("tag").notNull(),
  },
  (t) => [primaryKey({ name: "task_tags_pk", columns: [t.taskId, t.tag] }), index("task_tags_user_tag_idx").on(t.userId, t.tag)],
);

export const reminders = pgTable(
  "reminders",
  {
    id: id(),
    taskId: uuid("task_id").notNull().references(() => tasks.id, { onDelete: "cascade" }),
    userId: uuid("user_id").notNull(),
    offsetMinutes: integer("offset_minutes"),
    at: timestamp("at"),
    channels: jsonb("channels").$type<DeliveryChannel[]>().notNull(),
    fireAt: timestamp("fire_at").notNull(),
    status: text("status").$type<ReminderStatus>().notNull().default("pending"),
    firedAt: timestamp("fired_at"),
    createdAt: createdAt(),
  },
  (t) => [
    index("reminders_task_idx").on(t.taskId),
    // Only pending reminders: the scheduler's "earliest due" read stays O(pending).
    // Queries must spell the predicate as the literal status = 'pending' to use it.
    index("reminders_pending_fire_idx").on(t.fireAt).where(sql`status = 'pending'`),
  ],
);

export const pushSubscriptions = pgTable(
  "push_subscriptions",
  {
    id: id(),
    userId: uuid("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    endpoint: text("endpoint").notNull().unique("push_subscriptions_endpoint_uq"),
    p256dh: text("p256dh").notNull(),
    auth: text("auth").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("push_subscriptions_user_idx").on(t.userId)],
);

export const notifications = pgTable(
  "notifications",
  {
    id: id(),
    userId: uuid("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    reminderId: uuid("reminder_id").notNull(),
    taskId: uuid("task_id").notNull(),
    channel: text("channel").$type<DeliveryChannel>().notNull(),
    /** '' for email, the push subscription id for push: one row per device. */
    target: text("target").notNull().default(""),
    fireAt: timestamp("fire_at").notNull(),
    status: text("status").$type<NotificationStatus>().notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    error: text("error"),
    createdAt: createdAt(),
    sentAt: timestamp("sent_at"),
  },
  (t) => [
    // Claimed (inserted) before sending, so a redelivered reminder.due cannot send twice.
    uniqueIndex("notifications_claim_uq").on(t.reminderId, t.fireAt, t.channel, t.target),
    index("notifications_user_created_idx").on(t.userId, t.createdAt, t.id),
  ],
);

export const auditLog = pgTable(
  "audit_log",
  {
    eventId: uuid("event_id").primaryKey(),
    stream: text("stream").notNull(),
    subject: text("subject").notNull(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    eventType: text("event_type").notNull(),
    userId: uuid("user_id"),
    correlationId: text("correlation_id").notNull(),
    traceId: text("trace_id"),
    taskId: uuid("task_id"),
    occurredAt: timestamp("occurred_at").notNull(),
    storedAt: timestamp("stored_at").notNull().$defaultFn(() => new Date()),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
  },
  (t) => [
    index("audit_log_user_occurred_idx").on(t.userId, t.occurredAt, t.eventId),
    index("audit_log_type_occurred_idx").on(t.eventType, t.occurredAt),
    index("audit_log_correlation_idx").on(t.correlationId),
    index("audit_log_task_occurred_idx").on(t.taskId, t.occurredAt),
    index("audit_log_occurred_idx").on(t.occurredAt),
  ],
);

export const outbox = pgTable("outbox", {
  // An identity column: seq never goes back, even after the table is emptied by the relay.
  // Commit order can differ from seq order between concurrent transactions; the
  // relay deletes what it published instead of keeping a high-water mark, so a
  // late commit with a lower seq is still published.
  seq: bigint("seq", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
  eventId: uuid("event_id").notNull().unique("outbox_event_id_uq"),
  subject: text("subject").notNull(),
  headers: jsonb("headers").$type<Record<string, string>>().notNull(),
  /** The exact JSON bytes to publish; kept as text so the relay never re-serialises. */
  payload: text("payload").notNull(),
  createdAt: createdAt(),
});
