// Runs a set of roles in this process; stopping them goes in reverse order so the api stops
// taking writes before the relay and workers finish draining.
import type { Ctx } from "./context.ts";
import type { Role } from "./roles.ts";
import { startApi } from "./api/server.ts";
import { startAudit } from "./workers/audit/index.ts";
import { startNotifier } from "./workers/notifier/index.ts";
import { startRecurring } from "./workers/recurring.ts";
import { startRelay } from "./workers/relay.ts";
import { startScheduler } from "./workers/scheduler.ts";
import type { Stop } from "./workers/role.ts";

type RoleStarter = (ctx: Ctx) => Promise<Stop>;

const STARTERS: Record<Role, RoleStarter> = {
  api: startApi,
  relay: startRelay,
  recurring: startRecurring,
  audit: startAudit,
  scheduler: startScheduler,
  notifier: startNotifier,
};

export async function startRoles(ctx: Ctx, roles: Role[]): Promise<Stop> {
  const stops: Array<{ role: Role; stop: Stop }> = [];
  const stopAll: Stop = async () => {
    for (const { role, stop } of stops.reverse()) {
      await stop().catch((err) => ctx.log.error({ err, role }, "role did not stop cleanly"));
    }
  };
  try {
    for (const role of roles) stops.push({ role, stop: await STARTERS[role](ctx) });
  } catch (err) {
    await stopAll();
    throw err;
  }
  return stopAll;
}
