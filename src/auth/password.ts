// Password hashing with scrypt (node:crypto). The cost parameters travel with each hash
// (`scrypt$N$r$p$salt$hash`), so they can be raised later without breaking stored hashes:
// `needsRehash` tells login to re-hash with the current ones.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

export const MIN_PASSWORD_LENGTH = 8;
/** Bounds the work one login can cause; far above any real passphrase. */
export const MAX_PASSWORD_LENGTH = 1024;

/**
 * N=2^15, r=8, p=1: 32 MiB and 91–100 ms per hash on one core of the dev VM (measured, see
 * docs/auth.md). maxmem must exceed 128·N·r, which is exactly Node's 32 MiB default.
 */
const CURRENT = { N: 2 ** 15, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
const MAX_MEM = 64 * 1024 * 1024;
/** Salt of the decoy hash that unknown emails cost; random per process, never stored. */
const DUMMY_SALT = randomBytes(SALT_BYTES);

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

function derive(password: string, salt: Buffer, params: Pick<ScryptOptions, "N" | "r" | "p">, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize("NFKC"), salt, length, { ...params, maxmem: MAX_MEM }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function parse(stored: string): ParsedHash | null {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return null;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  // Refuse parameters we would never write: a corrupted row must not make us allocate gigabytes.
  if (![N, r, p].every(Number.isSafeInteger) || N < 2 || N > 2 ** 20 || (N & (N - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16) return null;
  const salt = Buffer.from(parts[4]!, "base64");
  const hash = Buffer.from(parts[5]!, "base64");
  if (salt.length < 8 || hash.length < 16) return null;
  return { N, r, p, salt, hash };
}

/** A new `scrypt$N$r$p$salt$hash` string (salt and hash base64) for `password`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, CURRENT, KEY_BYTES);
  return ["scrypt", CURRENT.N, CURRENT.r, CURRENT.p, salt.toString("base64"), hash.toString("base64")].join("$");
}

/**
 * True when `password` matches `stored`, compared in constant time. A stored value that is not
 * a scrypt hash (e.g. the marker of an account without a password) never matches, but still
 * costs one scrypt so the answer takes as long as a real check.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) {
    await burnOneHash(password);
    return false;
  }
  const candidate = await derive(password, parsed.salt, parsed, parsed.hash.length);
  return timingSafeEqual(candidate, parsed.hash);
}

/** Whether a stored hash was made with other parameters than today's (re-hash it after a good login). */
export function needsRehash(stored: string): boolean {
  const parsed = parse(stored);
  return parsed !== null && (parsed.N !== CURRENT.N || parsed.r !== CURRENT.r || parsed.p !== CURRENT.p);
}

/**
 * Spends the time of one verification and answers nothing. Login calls it for unknown emails
 * so "no such user" and "wrong password" cannot be told apart by timing.
 */
export async function burnOneHash(password: string): Promise<void> {
  await derive(password, DUMMY_SALT, CURRENT, KEY_BYTES);
}

/** Stored in passwordHash for accounts that cannot log in with a password (external IdP users). */
export const NO_PASSWORD = "!no-password";
