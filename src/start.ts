// Runs a set of roles in this process; stopping them goes in reverse order so the api stops
// taking writes before the relay and workers finish draining.
import type { Ctx } from "./context.ts";
import type { Role } from "./roles.ts";
import { startApi } from "./api/server.ts";
import { startRecurring } from "./workers/recurring.ts";
import { startRelay } from "./workers/relay.ts";
import { startScheduler } from "./workers/scheduler.ts";
import type { Stop } from "./workers/role.ts";

type RoleStarter = (ctx: Ctx) => Promise<Stop>;

/** Roles built so far; the rest arrive with their issues (see README "Roles"). */
const STARTERS: Partial<Record<Role, RoleStarter>> = {
  api: startApi,
  relay: startRelay,
  recurring: startRecurring,
  scheduler: startScheduler,
};

export function unavailableRoles(roles: Role[]): Role[] {
  return roles.filter((role) => !STARTERS[role]);
}

export async function startRoles(ctx: Ctx, roles: Role[]): Promise<Stop> {
  const stops: Array<{ role: Role; stop: Stop }> = [];
  const stopAll: Stop = async () => {
    for (const { role, stop } of stops.reverse()) {
      await stop().catch((err) => ctx.log.error({ err, role }, "role did not stop cleanly"));
    }
  };
  try {
    for (const role of roles) {
      const starter = STARTERS[role];
      if (starter) stops.push({ role, stop: await starter(ctx) });
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  return stopAll;
}
