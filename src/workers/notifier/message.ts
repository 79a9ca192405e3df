// What a reminder says, once for every channel: a mail (plain text + HTML) and a push payload
// built from the same fields. Titles and descriptions are user input: every one of them is
// HTML-escaped in the HTML body, and none of them is escaped where the medium is plain text.
import { z } from "zod";
import { isValidTimeZone } from "../../domain/zoned-time.ts";

/** The facts of one firing of a reminder, as the notifier reads them from the task. */
export interface ReminderContent {
  taskId: string;
  title: string;
  description: string;
  /** RFC 3339, or null for a task without a due time. */
  dueAt: string | null;
  /** IANA zone the task's times are shown in. */
  timezone: string;
  /** RFC 3339: the instant this reminder fires (snoozed or not). */
  fireAt: string;
  reminderId: string;
}

/** The JSON a push message carries to the service worker (src/web); `actions` become buttons. */
export const pushPayloadSchema = z.object({
  title: z.string(),
  body: z.string(),
  /** Opened on a click on the notification. */
  url: z.string(),
  task_id: z.string(),
  reminder_id: z.string(),
  actions: z.array(z.object({ action: z.enum(["done", "snooze"]), title: z.string() })),
  /** Same tag → a re-fire (snooze) replaces the shown notification instead of stacking. */
  tag: z.string().optional(),
});
export type PushPayload = z.output<typeof pushPayloadSchema>;

export const SNOOZE_ACTION_MINUTES = 10;

/** Titles may be 500 characters; mail subjects and notification titles get cut well before. */
const TITLE_MAX = 120;
/** Keeps the encrypted push payload far below the 4 KB a push service accepts, whatever the input. */
const PUSH_BODY_MAX = 240;

/** The browser app routes by hash, so the link works on any static host without a fallback. */
export function taskUrl(publicUrl: string, taskId: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/#/tasks/${encodeURIComponent(taskId)}`;
}

/** Stable per firing: a retry resends the same Message-ID, so mail clients can drop a duplicate. */
export function reminderMessageId(c: ReminderContent, publicUrl: string): string {
  const safe = (text: string) => text.replace(/[^A-Za-z0-9._-]/g, "-");
  const fired = Date.parse(c.fireAt);
  return `<reminder.${safe(c.reminderId)}.${Number.isNaN(fired) ? safe(c.fireAt) : fired}@${safe(new URL(publicUrl).hostname) || "taskjet"}>`;
}

export function reminderEmail(c: ReminderContent, publicUrl: string): { subject: string; text: string; html: string } {
  const url = taskUrl(publicUrl, c.taskId);
  const title = oneLine(c.title, TITLE_MAX);
  const due = c.dueAt === null ? null : formatInZone(c.dueAt, c.timezone);
  const description = c.description.trim();
  const subject = `Reminder: ${title}`;

  const text = [
    `Reminder: ${c.title}`,
    due ? `Due: ${due}` : null,
    description ? `\n${description}` : null,
    `\nOpen the task: ${url}`,
    `\n-- \nYou get this mail because a reminder is set on this task in taskjet.`,
  ]
    .filter((line) => line !== null)
    .join("\n");

  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>
<body style="font-family:system-ui,sans-serif;line-height:1.4;color:#222">
<p style="margin:0;color:#666">Reminder</p>
<h1 style="font-size:1.3em;margin:.2em 0 .6em">${escapeHtml(c.title)}</h1>
${due ? `<p><strong>Due:</strong> ${escapeHtml(due)}</p>\n` : ""}${description ? `<p>${escapeHtml(description).replace(/\r?\n/g, "<br>")}</p>\n` : ""}<p><a href="${escapeHtml(url)}">Open the task</a></p>
<p style="color:#888;font-size:.85em">You get this mail because a reminder is set on this task in taskjet.</p>
</body></html>
`;
  return { subject, text, html };
}

export function reminderPush(c: ReminderContent, publicUrl: string): PushPayload {
  const due = c.dueAt === null ? null : formatInZone(c.dueAt, c.timezone);
  const body = [due ? `Due ${due}` : null, oneLine(c.description, PUSH_BODY_MAX) || null].filter((part) => part !== null).join("\n");
  return {
    title: oneLine(c.title, TITLE_MAX),
    body: truncate(body, PUSH_BODY_MAX),
    url: taskUrl(publicUrl, c.taskId),
    task_id: c.taskId,
    reminder_id: c.reminderId,
    actions: [
      { action: "done", title: "Done" },
      { action: "snooze", title: `Snooze ${SNOOZE_ACTION_MINUTES} min` },
    ],
    tag: `reminder-${c.reminderId}`,
  };
}

/** For text placed in HTML element content or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);
}

/** "Fri 14 Mar 2025, 09:00 CET (Europe/Berlin)": the wall clock of the task's zone. */
export function formatInZone(iso: string, timezone: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const zone = isValidTimeZone(timezone) ? timezone : "UTC";
  const text = displayFormatter(zone).format(date);
  return zone === "UTC" ? text : `${text} (${zone})`;
}

/** One formatter per zone: building an Intl.DateTimeFormat costs more than formatting with it. */
const displayFormatters = new Map<string, Intl.DateTimeFormat>();

function displayFormatter(zone: string): Intl.DateTimeFormat {
  let formatter = displayFormatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-GB", {
      timeZone: zone,
      weekday: "short",
      day: "numeric",
      month: "short",
      year: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZoneName: "short",
    });
    displayFormatters.set(zone, formatter);
  }
  return formatter;
}

/** Collapses line breaks (a header or notification title is one line) and cuts to `max`. */
function oneLine(text: string, max: number): string {
  return truncate(text.replace(/\s+/g, " ").trim(), max);
}

/** Cuts by code points, so an emoji or accented letter is never split into garbage. */
function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}
