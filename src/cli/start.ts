// `taskjet start`: open the context, run the roles, drain and exit 0 on SIGTERM / SIGINT.
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import { openContext } from "../context.ts";
import { startRoles } from "../start.ts";

export async function runStart(config: Config, log: Logger, pathEnv: string): Promise<number> {
  const startedAt = performance.now();
  let fatal: (reason: string) => void = () => undefined;
  const fatalReason = new Promise<string>((resolve) => (fatal = resolve));
  const opened = await openContext(config, log, { pathEnv, clientName: `taskjet ${config.roles.join(",")}`, onFatal: (r) => fatal(r) });
  let stopRoles;
  try {
    stopRoles = await startRoles(opened.ctx, config.roles);
  } catch (err) {
    await opened.close();
    throw err;
  }
  log.info({ roles: config.roles, ms: Math.round(performance.now() - startedAt) }, "taskjet started");

  const signal = await new Promise<string>((resolve) => {
    for (const name of ["SIGTERM", "SIGINT"] as const) process.once(name, () => resolve(name));
    void fatalReason.then((reason) => resolve(`fatal: ${reason}`));
  });
  const isFatal = signal.startsWith("fatal");
  if (isFatal) log.fatal({ reason: signal }, "shutting down");
  else log.info({ signal }, "draining");
  await stopRoles();
  await opened.close();
  log.info("stopped");
  return isFatal ? 1 : 0;
}
