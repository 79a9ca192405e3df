// The HS256 key of our access tokens: JWT_SECRET when set, else a random secret kept in
// `<DATA_DIR>/jwt-secret` (mode 0600). Every process sharing DATA_DIR must sign and verify with
// the same key, so the first one to start creates the file and all others read it back.
import { randomBytes } from "node:crypto";
import { link, mkdir, readFile, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { ConfigError, type Config } from "../config.ts";

export const SECRET_FILE_NAME = "jwt-secret";
const GENERATED_BYTES = 48;
/** The same floor config.ts puts on JWT_SECRET. */
const MIN_SECRET_LENGTH = 32;

/** The path of the generated secret for a DATA_DIR. */
export function secretFilePath(dataDir: string): string {
  return path.join(dataDir, SECRET_FILE_NAME);
}

/**
 * The HMAC key as bytes. The generated file holds base64url text and the key is that text's
 * UTF-8 bytes, exactly as for JWT_SECRET: copying the file into JWT_SECRET changes nothing.
 */
export async function loadJwtSecret(config: Pick<Config, "jwt" | "dataDir">): Promise<Uint8Array> {
  if (config.jwt.secret) return new TextEncoder().encode(config.jwt.secret);
  const file = secretFilePath(config.dataDir);
  const existing = await readSecretFile(file);
  if (existing !== null) return new TextEncoder().encode(existing);
  await createSecretFile(file);
  const created = await readSecretFile(file);
  if (created === null) throw new ConfigError(`${file}: disappeared right after it was created`);
  return new TextEncoder().encode(created);
}

async function readSecretFile(file: string): Promise<string | null> {
  let text: string;
  try {
    text = (await readFile(file, "utf8")).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new ConfigError(`${file}: cannot read the JWT secret (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
  if (text.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(`${file}: the JWT secret is shorter than ${MIN_SECRET_LENGTH} characters; delete the file to generate a new one (this logs everyone out)`);
  }
  return text;
}

/**
 * Writes the secret to a private temp file, then hard-links it into place. link() fails with
 * EEXIST when another process won the race, and a reader can never see a half-written file,
 * which a plain `wx` open followed by a write would allow for a moment.
 */
async function createSecretFile(file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  await writeFile(temp, `${randomBytes(GENERATED_BYTES).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
  try {
    await link(temp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
      throw new ConfigError(`${file}: cannot create the JWT secret (${(err as NodeJS.ErrnoException).code ?? "error"})`);
    }
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}
