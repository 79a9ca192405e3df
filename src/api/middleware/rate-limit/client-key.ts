// Which client an anonymous request counts against: the TCP peer's address. X-Forwarded-For is not
// read: any client can send it, and no setting says a proxy in front is trusted (see
// docs/http-service.md). Behind a reverse proxy every anonymous client therefore shares one bucket.
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";

/** The key used when the request did not come through a Node socket (`app.request()` in tests). */
export const UNKNOWN_CLIENT = "unknown";

/**
 * Groups an address into the unit one client controls: an IPv4 address as is, an IPv6 address by
 * its /64 (one host or home network is routinely handed a whole /64, so per-address limits would be
 * trivial to dodge), an IPv4-mapped IPv6 address as the IPv4 address it maps.
 */
export function clientBucket(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(":")) return address;
  const groups = expandIpv6(address.split("%")[0]!);
  return groups ? `${groups.slice(0, 4).join(":")}::/64` : address;
}

/** The eight 16-bit groups of an IPv6 address, or null when it is not one. */
function expandIpv6(address: string): string[] | null {
  const halves = address.toLowerCase().split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(missing).fill("0"), ...tail];
  return groups.every((g) => /^[0-9a-f]{1,4}$/.test(g)) ? groups.map((g) => g.replace(/^0+(?=.)/, "")) : null;
}

/** The default client key: the socket's remote address, grouped by {@link clientBucket}. */
export function socketClientKey(c: Context<AppEnv>): string {
  try {
    const address = getConnInfo(c).remote.address;
    return address ? clientBucket(address) : UNKNOWN_CLIENT;
  } catch {
    // No Node socket behind this request (in-process app.request()).
    return UNKNOWN_CLIENT;
  }
}
