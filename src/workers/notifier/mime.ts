// A reminder mail as the bytes that go after SMTP DATA: RFC 5322 headers and a multipart/alternative
// body (plain text + HTML, each base64). Composed here from one template rather than by nodemailer's
// MailComposer, which builds a MIME tree of streams per mail and cost most of the notifier's CPU.
// nodemailer's own helpers still do the fiddly parts: parsing MAIL_FROM and RFC 2047 words.
import addressparser from "nodemailer/lib/addressparser";
import { encodeWord, encodeWords, foldLines, isPlainText, quoteString } from "nodemailer/lib/mime-funcs";

/** A mailbox as MAIL FROM / RCPT TO take it and as a header shows it. */
export interface Mailbox {
  address: string;
  /** The header form, e.g. `taskjet <taskjet@example.com>`. */
  header: string;
}

/** What one mail says; `messageId` is `<…@…>`. */
export interface MailContent {
  subject: string;
  text: string;
  html: string;
  messageId: string;
  /** Extra headers, e.g. Auto-Submitted; names and values must be single-line ASCII. */
  headers?: Record<string, string>;
}

/** Parses MAIL_FROM (`Name <address>` or a bare address); throws when it holds no address. */
export function parseMailbox(text: string): Mailbox {
  const [first] = addressparser(text, { flatten: true });
  if (!first?.address) throw new Error(`not an email address: ${JSON.stringify(text)}`);
  return { address: first.address, header: mailboxHeader(first.name, first.address) };
}

function mailboxHeader(name: string, address: string): string {
  if (!name) return address;
  if (!isPlainText(name)) return `${encodeWord(name, "Q", 52)} <${address}>`;
  return `${/^[\w ]*$/.test(name) ? name : quoteString(name)} <${address}>`;
}

/** The part boundary: `_` is outside the base64 alphabet, so no body line can ever equal it. */
const BOUNDARY = "=_taskjet_alternative";

export function composeMail(from: Mailbox, to: string, content: MailContent, date = new Date()): Buffer {
  const headers = [
    `From: ${from.header}`,
    `To: ${to}`,
    // Titles are user input: encodeWords turns anything beyond printable ASCII into RFC 2047
    // words, and the caller's text is one line (message.ts collapses line breaks).
    foldLines(`Subject: ${encodeWords(content.subject.replace(/[\r\n]+/g, " "), "Q", 52)}`, 76),
    `Message-ID: ${content.messageId}`,
    `Date: ${date.toUTCString().replace(/GMT$/, "+0000")}`,
    "MIME-Version: 1.0",
    ...Object.entries(content.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
    `Content-Type: multipart/alternative; boundary="${BOUNDARY}"`,
  ];
  const part = (type: string, body: string) =>
    `--${BOUNDARY}\r\nContent-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64Lines(body)}\r\n`;
  return Buffer.from(`${headers.join("\r\n")}\r\n\r\n${part("text/plain", content.text)}${part("text/html", content.html)}--${BOUNDARY}--\r\n`);
}

/** Base64 in lines of 76 characters, as RFC 2045 asks. */
function base64Lines(text: string): string {
  const encoded = Buffer.from(text, "utf8").toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < encoded.length; i += 76) lines.push(encoded.slice(i, i + 76));
  return lines.join("\r\n");
}
