// The reminder template: one set of facts, a mail (text + HTML) and a push payload.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { escapeHtml, pushPayloadSchema, reminderEmail, reminderMessageId, reminderPush, type ReminderContent } from "../../src/workers/notifier/message.ts";

const HOSTILE_TITLE = `<script>alert(1)</script> & "Tom's" plan`;

const content = (over: Partial<ReminderContent> = {}): ReminderContent => ({
  taskId: "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
  title: "Pay the rent",
  description: "Transfer to the landlord.\nReference: flat 3",
  dueAt: "2025-03-14T08:00:00.000Z",
  timezone: "Europe/Berlin",
  fireAt: "2025-03-14T07:50:00.000Z",
  reminderId: "0193a1b2-0000-7000-8000-000000000001",
  ...over,
});

describe("the reminder mail", () => {
  it("escapes every HTML-special character of the title and description in the HTML body", () => {
    const mail = reminderEmail(content({ title: HOSTILE_TITLE, description: `<img src=x onerror="steal()">` }), "https://tasks.example.com");
    expect(mail.html).not.toContain("<script>");
    expect(mail.html).not.toContain("<img");
    expect(mail.html).toContain("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Tom&#39;s&quot; plan");
    expect(mail.html).toContain("&lt;img src=x onerror=&quot;steal()&quot;&gt;");
  });

  it("keeps the title and description verbatim in the plain-text body and the subject", () => {
    const mail = reminderEmail(content({ title: HOSTILE_TITLE }), "https://tasks.example.com");
    expect(mail.subject).toBe(`Reminder: ${HOSTILE_TITLE}`);
    expect(mail.text).toContain(HOSTILE_TITLE);
    expect(mail.text).toContain("Transfer to the landlord.\nReference: flat 3");
    expect(mail.text).not.toContain("&lt;");
  });

  it("links to the task under PUBLIC_URL, with or without its trailing slash", () => {
    const url = "https://tasks.example.com/#/tasks/0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    for (const publicUrl of ["https://tasks.example.com", "https://tasks.example.com/"]) {
      const mail = reminderEmail(content(), publicUrl);
      expect(mail.text).toContain(`Open the task: ${url}`);
      expect(mail.html).toContain(`<a href="${url}">`);
    }
  });

  it("shows the due time on the wall clock of the task's zone, naming the zone", () => {
    expect(reminderEmail(content(), "http://localhost:8080").text).toContain("Due: Fri, 14 Mar 2025, 09:00 CET (Europe/Berlin)");
    expect(reminderEmail(content({ timezone: "America/New_York" }), "http://localhost:8080").text).toContain("Due: Fri, 14 Mar 2025, 04:00 GMT-4 (America/New_York)");
    expect(reminderEmail(content({ timezone: "UTC" }), "http://localhost:8080").html).toContain("Fri, 14 Mar 2025, 08:00 UTC");
  });

  it("says nothing about a due time for a task without one", () => {
    const mail = reminderEmail(content({ dueAt: null }), "http://localhost:8080");
    expect(mail.text).not.toContain("Due:");
    expect(mail.html).not.toContain("Due:");
  });

  it("puts a long, multi-line title on one subject line of at most 130 characters", () => {
    const mail = reminderEmail(content({ title: `first line\nsecond ${"x".repeat(490)}` }), "http://localhost:8080");
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.subject.startsWith("Reminder: first line second")).toBe(true);
    expect([...mail.subject].length).toBeLessThanOrEqual(130);
  });

  it("has a Message-ID that is the same for one firing and differs between firings", () => {
    const first = reminderMessageId(content(), "https://tasks.example.com");
    expect(first).toMatch(/^<reminder\.[\w.-]+@tasks\.example\.com>$/);
    expect(reminderMessageId(content(), "https://tasks.example.com")).toBe(first);
    expect(reminderMessageId(content({ fireAt: "2025-03-14T08:00:00.000Z" }), "https://tasks.example.com")).not.toBe(first);
  });
});

describe("the reminder push payload", () => {
  it("carries the title, the due time, the task url, both ids and the done / snooze actions, unescaped", () => {
    const payload = reminderPush(content({ title: HOSTILE_TITLE }), "https://tasks.example.com");
    expect(payload).toEqual({
      title: HOSTILE_TITLE,
      body: "Due Fri, 14 Mar 2025, 09:00 CET (Europe/Berlin)\nTransfer to the landlord. Reference: flat 3",
      url: "https://tasks.example.com/#/tasks/0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
      task_id: "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
      reminder_id: "0193a1b2-0000-7000-8000-000000000001",
      actions: [
        { action: "done", title: "Done" },
        { action: "snooze", title: "Snooze 10 min" },
      ],
      tag: "reminder-0193a1b2-0000-7000-8000-000000000001",
    });
  });

  it("stays well under the 4 KB a push service accepts for any title and description the API allows", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 500, unit: "grapheme" }), fc.string({ maxLength: 10_000, unit: "binary" }), (title, description) => {
        const payload = reminderPush(content({ title, description }), "https://tasks.example.com");
        expect(pushPayloadSchema.parse(payload)).toEqual(payload);
        expect(Buffer.byteLength(JSON.stringify(payload))).toBeLessThan(3_000);
      }),
      { numRuns: 50 },
    );
  });
});

describe("escapeHtml", () => {
  it("leaves no character that could open a tag, an entity or end an attribute", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        expect(escapeHtml(text)).not.toMatch(/[<>"']|&(?!(amp|lt|gt|quot|#39);)/);
      }),
    );
  });
});
