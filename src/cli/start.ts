// `taskjet start`: open the context, run the roles, drain and exit 0 on SIGTERM / SIGINT.
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import { openContext } from "../context.ts";
import { startRoles } from "../start.ts";

export async function runStart(config: Config, log: Logger, pathEnv: string): Promise<number> {
  const startedAt = performance.now();
  // Listening from the first moment: a SIGTERM while roles still start (compose stopping a
  // container that just came up) waits for the start to finish, then drains like any other.
  let stop: (reason: string) => void = () => undefined;
  const stopRequested = new Promise<string>((resolve) => (stop = resolve));
  for (const name of ["SIGTERM", "SIGINT"] as const) process.once(name, () => stop(name));

  const opened = await openContext(config, log, { pathEnv, clientName: `taskjet ${config.roles.join(",")}`, onFatal: (r) => stop(`fatal: ${r}`) });
  let stopRoles;
  try {
    stopRoles = await startRoles(opened.ctx, config.roles);
  } catch (err) {
    await opened.close();
    throw err;
  }
  log.info({ roles: config.roles, ms: Math.round(performance.now() - startedAt) }, "taskjet started");

  const reason = await stopRequested;
  const isFatal = reason.startsWith("fatal");
  if (isFatal) log.fatal({ reason }, "shutting down");
  else log.info({ signal: reason }, "draining");
  await stopRoles();
  await opened.close();
  log.info("stopped");
  return isFatal ? 1 : 0;
}
