// The taskjet CLI. Operator mistakes (bad env, missing nats-server, …) print one line and exit
// non-zero; only a bug prints a stack.
import { parseArgs } from "node:util";
import { pino } from "pino";
import { loadConfig, type Config } from "./config.ts";
import { AUDIT_USAGE, runAudit } from "./cli/audit.ts";
import { DLQ_USAGE, runDlq } from "./cli/dlq.ts";
import { runStart } from "./cli/start.ts";
import { runMigrate, runStreams } from "./cli/streams.ts";
import { runToken, TOKEN_USAGE } from "./cli/token.ts";
import { runUser, USER_USAGE } from "./cli/user.ts";
import { runVapid, VAPID_USAGE } from "./cli/vapid.ts";
import { isOperatorError } from "./startup-error.ts";

const USAGE = `usage: taskjet <command> [options]

commands:
  start [--roles r1,r2]   run roles (default: all) — api, relay, scheduler, recurring, notifier, audit
  migrate                 migrate the database and provision streams, consumers and KV buckets
  streams                 print streams, consumers (pending / ack pending) and KV buckets
  dlq ls|show|replay      dead letters: list, inspect, send back to their stream
  audit rebuild           replay the streams into the audit log (idempotent)
  user promote EMAIL      give a user the admin role
  token --user ID|EMAIL [--ttl 1h]   print an access token for scripts
  vapid                   print a new VAPID key pair for Web Push

Every command reads its settings from the environment (see README "Configuration").
Run 'taskjet <command> --help' for a command's options.
`;

const COMMAND_HELP: Record<string, string> = {
  start: `usage: taskjet start [--roles api,relay,scheduler,recurring,notifier,audit]

Runs the given roles in this process (default: TASKJET_ROLES, else all). Without NATS_URL it
starts its own nats-server on 127.0.0.1; without DATABASE_URL it uses SQLite in DATA_DIR.
SIGTERM / Ctrl-C drains in-flight work and exits 0.
`,
  migrate: `usage: taskjet migrate

Applies database migrations and creates or updates streams, consumers and KV buckets. Idempotent.
`,
  streams: `usage: taskjet streams

Provisions, then prints each stream (messages, bytes, sequences), each consumer (pending,
ack pending, redelivered) and each KV bucket (keys). Uses the running embedded server if any.
`,
  dlq: DLQ_USAGE,
  audit: AUDIT_USAGE,
  user: USER_USAGE,
  token: TOKEN_USAGE,
  vapid: VAPID_USAGE,
};

type Command = (argv: string[]) => Promise<number>;

function logger(level: string) {
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}

/** One-shot commands print their result; their logs stay quiet below warnings unless LOG_LEVEL asks for more. */
function commandLogger(config: Config) {
  return logger(config.logLevel === "info" ? "warn" : config.logLevel);
}

const COMMANDS: Record<string, Command> = {
  async start(argv) {
    const { values } = parseArgs({ args: argv, options: { roles: { type: "string" } } });
    const config = loadConfig(values.roles ? { ...process.env, TASKJET_ROLES: values.roles } : process.env);
    return runStart(config, logger(config.logLevel), process.env.PATH ?? "");
  },
  async migrate(argv) {
    parseArgs({ args: argv, options: {} });
    const config = loadConfig();
    return runMigrate(config, commandLogger(config), process.env.PATH ?? "");
  },
  async streams(argv) {
    parseArgs({ args: argv, options: {} });
    const config = loadConfig();
    return runStreams(config, commandLogger(config), process.env.PATH ?? "");
  },
  async dlq(argv) {
    const config = loadConfig();
    return runDlq(config, commandLogger(config), process.env.PATH ?? "", argv);
  },
  async audit(argv) {
    const config = loadConfig();
    return runAudit(config, commandLogger(config), process.env.PATH ?? "", argv);
  },
  async user(argv) {
    return runUser(loadConfig(), argv);
  },
  async token(argv) {
    return runToken(loadConfig(), argv);
  },
  async vapid(argv) {
    parseArgs({ args: argv, options: {} });
    return runVapid();
  },
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(USAGE);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`taskjet: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(COMMAND_HELP[name] ?? USAGE);
    return 0;
  }
  try {
    return await command(rest);
  } catch (err) {
    if (isOperatorError(err)) {
      process.stderr.write(`taskjet: ${err.message}\n`);
      return err.name === "ConfigError" ? 2 : 1;
    }
    if (err instanceof TypeError && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`taskjet ${name}: ${err.message}\n\n${COMMAND_HELP[name] ?? USAGE}`);
      return 2;
    }
    throw err;
  }
}

process.exitCode = await main(process.argv.slice(2));
