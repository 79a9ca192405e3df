// Which user ids exist, and their role, cached in-process so checking "does this token's user
// still exist?" costs a database read only once per TTL per user. Only hits are cached: a user
// created a moment ago is never refused, and a deleted user is refused by this process at once
// (forget) and by other processes within `ttlMs` at most.
import type { UserRole } from "../db/schema/enums.ts";

export interface KnownUsers {
  /** The user's current role, or null when the user does not exist. */
  roleOf(userId: string): Promise<UserRole | null>;
  /** Records a user that was just created or seen (saves the next lookup). */
  remember(userId: string, role: UserRole): void;
  /** Drops a user from the cache; call it when a user is deleted or their role changes. */
  forget(userId: string): void;
}

export interface KnownUsersOptions {
  /** Looks a user's role up in the database; null when there is no such user. */
  lookup(userId: string): Promise<UserRole | null>;
  /** How long a hit is trusted: the bound on how long another process may accept a deleted user. */
  ttlMs?: number;
  /** Least recently used entries go first beyond this many. */
  maxEntries?: number;
  now?: () => number;
}

export const KNOWN_USER_TTL_MS = 30_000;

export function makeKnownUsers({ lookup, ttlMs = KNOWN_USER_TTL_MS, maxEntries = 10_000, now = Date.now }: KnownUsersOptions): KnownUsers {
  // A Map iterates in insertion order; re-inserting on every hit makes the first key the least recently used.
  const entries = new Map<string, { role: UserRole; expiresAt: number }>();

  const remember = (userId: string, role: UserRole) => {
    entries.delete(userId);
    entries.set(userId, { role, expiresAt: now() + ttlMs });
    while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
  };

  return {
    async roleOf(userId) {
      const hit = entries.get(userId);
      if (hit && hit.expiresAt > now()) {
        entries.delete(userId);
        entries.set(userId, hit);
        return hit.role;
      }
      entries.delete(userId);
      const role = await lookup(userId);
      if (role !== null) remember(userId, role);
      return role;
    },
    remember,
    forget(userId) {
      entries.delete(userId);
    },
  };
}
