// The mail as composed for SMTP DATA, read back by a real MIME parser (mailparser): what a mail
// client would show must be exactly what the notifier rendered, whatever the user typed.
import { simpleParser } from "mailparser";
import { describe, expect, it } from "vitest";
import { composeMail, parseMailbox, type MailContent } from "../../src/workers/notifier/mime.ts";

const content: MailContent = {
  subject: "Reminder: Call Bob",
  text: "Reminder: Call Bob\nDue: Fri 14 Mar 2025, 09:00 CET\n\nOpen the task: https://tasks.example/#/tasks/1",
  html: "<!doctype html>\n<p>Call Bob</p>\n",
  messageId: "<reminder.r1.1741938600000@tasks.example>",
  headers: { "Auto-Submitted": "auto-generated" },
};
const from = parseMailbox("taskjet <taskjet@tasks.example>");
const read = (mail: Buffer) => simpleParser(mail);

describe("composed reminder mail", () => {
  it("carries sender, recipient, subject, Message-ID, date, extra headers and both bodies unchanged", async () => {
    const date = new Date("2025-03-14T07:50:00.000Z");
    const mail = await read(composeMail(from, "bob@example.com", content, date));
    expect(mail.from?.value).toEqual([{ name: "taskjet", address: "taskjet@tasks.example" }]);
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value : null).toEqual([{ name: "", address: "bob@example.com" }]);
    expect(mail.subject).toBe("Reminder: Call Bob");
    expect(mail.messageId).toBe(content.messageId);
    expect(mail.date?.toISOString()).toBe(date.toISOString());
    expect(mail.headers.get("auto-submitted")).toBe("auto-generated");
    expect(mail.headers.get("mime-version")).toBe("1.0");
    expect(mail.text).toBe(content.text);
    expect(mail.html).toBe(content.html);
  });

  it("encodes a non-ASCII subject and body so they read back as typed", async () => {
    const subject = "Reminder: Jürgen anrufen ☎ — 日本語のタイトル";
    const text = "Grüße, ❤️\nZeile zwei";
    const mail = await read(composeMail(from, "bob@example.com", { ...content, subject, text, html: `<p>${text}</p>` }));
    expect(mail.subject).toBe(subject);
    expect(mail.text).toBe(text);
    expect(mail.html).toBe(`<p>${text}</p>`);
  });

  it("folds a long subject into header lines of at most 78 characters", async () => {
    const subject = `Reminder: ${"a long title word ".repeat(7).trim()}`;
    const raw = composeMail(from, "bob@example.com", { ...content, subject });
    const head = raw.toString("latin1").split("\r\n\r\n")[0]!;
    expect(Math.max(...head.split("\r\n").map((line) => line.length))).toBeLessThanOrEqual(78);
    expect((await read(raw)).subject).toBe(subject);
  });

  it("keeps a line break out of the subject: no header can be injected", async () => {
    const mail = await read(composeMail(from, "bob@example.com", { ...content, subject: "Reminder: x\r\nBcc: eve@example.com" }));
    expect(mail.subject).toBe("Reminder: x Bcc: eve@example.com");
    expect(mail.bcc).toBeUndefined();
  });

  it("shows a sender name with quotes, commas or non-ASCII letters as given", async () => {
    for (const name of ['Tasks, "the app"', "Aufgaben für Jürgen"]) {
      const sender = parseMailbox(`${JSON.stringify(name)} <robot@tasks.example>`);
      expect(sender.address).toBe("robot@tasks.example");
      const mail = await read(composeMail(sender, "bob@example.com", content));
      expect(mail.from?.value).toEqual([{ name, address: "robot@tasks.example" }]);
    }
  });

  it("takes a bare MAIL_FROM address, and refuses one without an address", () => {
    expect(parseMailbox("robot@tasks.example")).toEqual({ address: "robot@tasks.example", header: "robot@tasks.example" });
    expect(() => parseMailbox("just a name")).toThrow(/not an email address/);
  });
});
