// The B5 mail sink, its own process: a plain SMTP server that reads only each mail's Message-ID
// (`<reminder_id.fire_at_ms@taskjet>`, set by the notifier) and notes how late the mail arrived
// after its reminder's fire time. Prints {port} once listening, then one summary line when
// `expected` mails arrived or `timeoutMs` passed.
import { SMTPServer } from "smtp-server";
import { percentile, round } from "../stats.ts";

interface Input {
  expected: number;
  timeoutMs: number;
}

const input = JSON.parse(process.argv[2]!) as Input;
const latenessMs: number[] = [];
const seen = new Set<string>();
let unparsed = 0;
let finished = false;

function finish(): void {
  if (finished) return;
  finished = true;
  const stat = (p: number) => (latenessMs.length === 0 ? null : round(percentile(latenessMs, p), 1));
  process.stdout.write(JSON.stringify({ received: latenessMs.length, unparsed, latenessMs: { p50: stat(50), p99: stat(99), max: stat(100) } }) + "\n");
  server.close(() => process.exit(0));
}

const server = new SMTPServer({
  secure: false,
  disabledCommands: ["STARTTLS", "AUTH"],
  authOptional: true,
  logger: false,
  size: 1024 * 1024,
  onData(stream, _session, callback) {
    let head = "";
    stream.on("data", (chunk: Buffer) => {
      if (head.length < 16_384) head += chunk.toString("latin1");
    });
    stream.on("end", () => {
      const arrived = Date.now();
      const id = /^message-id:\s*<([^>]+)\.(\d{13})@/im.exec(head);
      if (!id) unparsed++;
      else if (!seen.has(id[1]! + id[2])) {
        seen.add(id[1]! + id[2]);
        latenessMs.push(arrived - Number(id[2]));
      }
      callback();
      if (latenessMs.length >= input.expected) setImmediate(finish);
    });
  },
});
server.listen(0, "127.0.0.1", () => {
  const address = server.server.address();
  process.stdout.write(JSON.stringify({ port: typeof address === "object" && address ? address.port : 0 }) + "\n");
});
setTimeout(finish, input.timeoutMs).unref();
process.once("SIGTERM", finish);
