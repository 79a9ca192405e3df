// `taskjet dlq ls|show|replay`: what went to the dead-letter queue, why, and sending it back.
import { parseArgs } from "node:util";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import { getDeadLetter, listDeadLetters, replayDeadLetter, type DeadLetter } from "../streams/dead-letters.ts";
import { table, withContext } from "./streams.ts";

export const DLQ_USAGE = `usage: taskjet dlq ls [--consumer NAME] [--limit N]
       taskjet dlq show SEQ
       taskjet dlq replay SEQ… | --all [--consumer NAME]

ls      dead letters in order: sequence, time, consumer, original subject, deliveries, reason
show    one dead letter's headers and payload
replay  publish the original payload to its original subject again and remove the dead letter;
        every consumer of that stream sees it once more (all effects are idempotent)
`;

function describe(letter: DeadLetter): string {
  const headers = Object.entries(letter.headers).map(([key, value]) => `${key}: ${value}`);
  let payload = letter.payload;
  try {
    payload = JSON.stringify(JSON.parse(payload), null, 2);
  } catch {
    // not JSON: shown as it is (often the very reason it is here)
  }
  return [`dead letter ${letter.seq} (${letter.time.toISOString()})`, ...headers, "", payload, ""].join("\n");
}

export async function runDlq(config: Config, log: Logger, pathEnv: string, argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { consumer: { type: "string" }, limit: { type: "string", default: "100" }, all: { type: "boolean", default: false } },
  });
  const [action, ...rest] = positionals;
  const seqs = rest.map(Number);
  if (!action || !["ls", "show", "replay"].includes(action) || seqs.some((n) => !Number.isInteger(n) || n < 1)) {
    process.stderr.write(`taskjet dlq: expected ls, show SEQ or replay SEQ…|--all\n\n${DLQ_USAGE}`);
    return 2;
  }
  return withContext(config, log, pathEnv, async ({ nats }) => {
    if (action === "ls") {
      const letters = await listDeadLetters(nats.jsm, { consumer: values.consumer, limit: Number(values.limit) || 100 });
      const rows = letters.map((l) => [l.seq, l.time.toISOString(), `${l.stream}/${l.consumer}`, l.subject, l.deliveries, l.reason.slice(0, 80)]);
      process.stdout.write(table([["SEQ", "TIME", "CONSUMER", "SUBJECT", "DELIVERIES", "REASON"], ...rows]));
      return 0;
    }
    const letters = values.all && action === "replay" ? await listDeadLetters(nats.jsm, { consumer: values.consumer, limit: Number.MAX_SAFE_INTEGER }) : [];
    for (const seq of seqs) {
      const letter = await getDeadLetter(nats.jsm, seq);
      if (!letter) {
        process.stderr.write(`taskjet dlq: no dead letter ${seq}\n`);
        return 1;
      }
      letters.push(letter);
    }
    if (action === "show") {
      process.stdout.write(letters.map(describe).join("\n"));
      return 0;
    }
    for (const letter of letters) {
      await replayDeadLetter(nats.js, nats.jsm, letter);
      process.stdout.write(`replayed dead letter ${letter.seq} to ${letter.subject}\n`);
    }
    return 0;
  });
}
