// The VAPID key pair that signs our push requests: VAPID_PUBLIC_KEY + VAPID_PRIVATE_KEY when
// set, else a pair kept in `<DATA_DIR>/vapid-keys.json` (mode 0600). Browsers bind each
// subscription to the public key, so every process sharing DATA_DIR must use the same pair and
// it must outlive restarts: the first process creates the file, all others read it back.
import { createECDH, randomBytes } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import webpush from "web-push";
import { ConfigError, type Config } from "../../config.ts";

export const VAPID_FILE_NAME = "vapid-keys.json";
/** Used when neither VAPID_SUBJECT nor a public https PUBLIC_URL says who runs this server. */
export const DEFAULT_VAPID_SUBJECT = "mailto:taskjet@localhost";

/** A VAPID identity: base64url keys (65-byte uncompressed P-256 point, 32-byte scalar) and RFC 8292 `sub`. */
export interface VapidKeys {
  publicKey: string;
  privateKey: string;
  subject: string;
}

export function vapidFilePath(dataDir: string): string {
  return path.join(dataDir, VAPID_FILE_NAME);
}

/** A fresh pair, for `taskjet vapid` and the first start on an empty DATA_DIR. */
export function generateVapidKeyPair(): { publicKey: string; privateKey: string } {
  return webpush.generateVAPIDKeys();
}

/** Synchronous: it runs once at start-up, before any push is sent or the key is served. */
export function loadVapidKeys(config: Pick<Config, "vapid" | "dataDir" | "publicUrl">): VapidKeys {
  const subject = vapidSubject(config);
  const { publicKey, privateKey } = config.vapid;
  if (publicKey && privateKey) {
    const problem = keyPairProblem(publicKey, privateKey);
    if (problem) throw new ConfigError(`invalid ${problem.startsWith("the public") ? "VAPID_PUBLIC_KEY" : "VAPID_PRIVATE_KEY"}: ${problem}`);
    return { publicKey, privateKey, subject };
  }
  if (publicKey || privateKey) {
    throw new ConfigError(`invalid ${publicKey ? "VAPID_PRIVATE_KEY" : "VAPID_PUBLIC_KEY"}: set VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY together (taskjet vapid prints a pair)`);
  }
  const file = vapidFilePath(config.dataDir);
  const pair = readKeyFile(file) ?? (createKeyFile(file), readKeyFile(file));
  if (!pair) throw new ConfigError(`${file}: disappeared right after it was created`);
  return { ...pair, subject };
}

/** VAPID_SUBJECT, else the public https origin (a contact page push services can show), else mailto. */
export function vapidSubject(config: Pick<Config, "vapid" | "publicUrl">): string {
  if (config.vapid.subject) return config.vapid.subject;
  const url = new URL(config.publicUrl);
  // Apple's push service refuses a localhost subject, and it says nothing to anyone anyway.
  const local = url.hostname === "localhost" || url.hostname.endsWith(".localhost") || url.hostname.startsWith("127.") || url.hostname === "[::1]";
  return url.protocol === "https:" && !local ? url.origin : DEFAULT_VAPID_SUBJECT;
}

/** Why the two keys do not form a usable P-256 pair, or null when they do. */
function keyPairProblem(publicKey: string, privateKey: string): string | null {
  const pub = Buffer.from(publicKey, "base64url");
  const priv = Buffer.from(privateKey, "base64url");
  if (pub.length !== 65 || pub[0] !== 0x04) return "the public key is not a base64url 65-byte uncompressed P-256 point";
  if (priv.length !== 32) return "the private key is not a base64url 32-byte P-256 key";
  const ecdh = createECDH("prime256v1");
  try {
    ecdh.setPrivateKey(priv);
  } catch {
    return "the private key is not a valid P-256 key";
  }
  return ecdh.getPublicKey().equals(pub) ? null : "the private key does not belong to VAPID_PUBLIC_KEY";
}

function readKeyFile(file: string): { publicKey: string; privateKey: string } | null {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new ConfigError(`${file}: cannot read the VAPID keys (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  const { publicKey, privateKey } = (parsed ?? {}) as Record<string, unknown>;
  const problem = typeof publicKey === "string" && typeof privateKey === "string" ? keyPairProblem(publicKey, privateKey) : "not a JSON object with publicKey and privateKey";
  if (problem !== null) {
    throw new ConfigError(`${file}: ${problem}; delete the file to generate new keys (existing push subscriptions then stop working)`);
  }
  return { publicKey: publicKey as string, privateKey: privateKey as string };
}

/**
 * Writes a fresh pair to a private temp file, then hard-links it into place: link() fails with
 * EEXIST when another process won the race, and no reader ever sees a half-written file.
 */
function createKeyFile(file: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  writeFileSync(temp, `${JSON.stringify(generateVapidKeyPair())}\n`, { mode: 0o600, flag: "wx" });
  try {
    linkSync(temp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
      throw new ConfigError(`${file}: cannot create the VAPID keys (${(err as NodeJS.ErrnoException).code ?? "error"})`);
    }
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // Already gone; nothing to clean up.
    }
  }
}
