// Accounts: registering and logging in with a password, and provisioning the user row of an
// external identity. Every new user writes `user.created` through the outbox in the same
// transaction as the row, so the event exists exactly when the user does.
import type { z } from "zod";
import { appendOutbox } from "../db/outbox.ts";
import type { UserRole } from "../db/schema/enums.ts";
import type { Store } from "../db/store.ts";
import { createUser, createUserWithId, findUserByEmail, findUserById, roleForNewUser, updatePasswordHash, type User } from "../db/users.ts";
import { makeEvent } from "../streams/envelope.ts";
import { toMessage } from "../streams/publish.ts";
import type { userEvent } from "../streams/users.ts";
import type { Auth } from "./authenticator.ts";
import type { ExternalIdentity } from "./external-idp.ts";
import { burnOneHash, hashPassword, needsRehash, NO_PASSWORD, verifyPassword } from "./password.ts";
import { issueSession, type Session } from "./sessions.ts";

/** The mail domain of users whose provider gave no verified email: RFC 2606 `.invalid` never delivers. */
export const NO_EMAIL_DOMAIN = "external.invalid";

/** A user as the API shows it. */
export function userView(user: User) {
  return { id: user.id, email: user.email, name: user.name || null, role: user.role };
}

function userCreatedMessage(user: User, email: string | null, traceparent: string | undefined) {
  const data: z.input<typeof userEvent>["data"] = { id: user.id, email, name: user.name || null };
  return toMessage(makeEvent({ type: "user.created", userId: user.id, source: "api", data }), traceparent);
}

/** Creates a password account and its first session; null when the email is taken. */
export async function register(
  store: Store,
  auth: Auth,
  input: { email: string; password: string; name: string | null },
  traceparent?: string,
): Promise<Session | null> {
  // scrypt runs before the transaction: the SQLite writer is never held for 100 ms of hashing.
  const passwordHash = await hashPassword(input.password);
  const session = await store.write(async (tx) => {
    const role = await roleForNewUser(tx);
    const user = await createUser(tx, { email: input.email, name: input.name ?? "", passwordHash, role });
    if (!user) return null;
    await appendOutbox(tx, [userCreatedMessage(user, user.email, traceparent)]);
    return issueSession(tx, auth, user);
  });
  if (session) auth.knownUsers.remember(session.user.id, session.user.role);
  return session;
}

/**
 * A new session for a correct email and password; null otherwise, without saying which was
 * wrong. An unknown email costs one scrypt like a known one, so timing tells nothing either.
 */
export async function login(store: Store, auth: Auth, input: { email: string; password: string }): Promise<Session | null> {
  const user = await store.read((db) => findUserByEmail(db, input.email));
  if (!user) {
    await burnOneHash(input.password);
    return null;
  }
  if (!(await verifyPassword(input.password, user.passwordHash))) return null;
  const newHash = needsRehash(user.passwordHash) ? await hashPassword(input.password) : null;
  return store.write(async (tx) => {
    // Deleted since the read: its refresh token would violate the foreign key.
    const current = await findUserById(tx, user.id);
    if (!current) return null;
    if (newHash) await updatePasswordHash(tx, user.id, newHash);
    return issueSession(tx, auth, current);
  });
}

/**
 * Creates the user row of an external identity seen for the first time and answers its role.
 * External users are never admins (the provider does not grant roles here) and cannot log in
 * with a password. The provider's email is used when verified and free, else a placeholder.
 */
export async function provisionExternalUser(store: Store, identity: ExternalIdentity, traceparent?: string): Promise<UserRole> {
  const placeholder = `${identity.userId}@${NO_EMAIL_DOMAIN}`;
  const row = { id: identity.userId, name: identity.name ?? "", passwordHash: NO_PASSWORD, role: "user" as const };
  return store.write(async (tx) => {
    let email = identity.email;
    let user = email ? await createUserWithId(tx, { ...row, email }) : null;
    if (!user) {
      email = null;
      user = await createUserWithId(tx, { ...row, email: placeholder });
    }
    if (!user) {
      // Another process provisioned the same identity a moment ago.
      const existing = await findUserById(tx, identity.userId);
      if (!existing) throw new Error(`could not provision external user ${identity.userId}: ${placeholder} is taken`);
      return existing.role;
    }
    await appendOutbox(tx, [userCreatedMessage(user, email, traceparent)]);
    return user.role;
  });
}
