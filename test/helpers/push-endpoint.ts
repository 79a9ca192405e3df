// A local HTTPS push service that plays both halves of Web Push delivery: it checks the VAPID
// `Authorization` as a push service does (RFC 8292), then decrypts the aes128gcm body with the
// subscription's private key and auth secret as the browser does (RFC 8291 / RFC 8188).
// Tests script its answers per subscription (410, 429 + Retry-After, never answering).
import { execFileSync } from "node:child_process";
import { createDecipheriv, createECDH, hkdfSync, randomBytes, randomUUID, type ECDH } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { IncomingHttpHeaders } from "node:http";
import https from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import { importJWK, jwtVerify } from "jose";

/** A browser-like subscription; pass it as a PushTarget (extra fields are ignored). */
export interface TestSubscription {
  id: string;
  /** `https://127.0.0.1:<port>/push/<id>` */
  endpoint: string;
  keys: { p256dh: string; auth: string };
  /** What only the browser holds: the ECDH private key and the 16-byte auth secret. */
  secrets: { ecdh: ECDH; authSecret: Buffer };
}

/** One request the endpoint got, and how it answered. */
export interface ReceivedPush {
  id: string;
  headers: IncomingHttpHeaders;
  /** The decrypted body parsed as JSON; undefined when it could not be decrypted. */
  payload: unknown;
  /** The JWT's `sub` and the `k=` key of the VAPID header, once verified. */
  vapid?: { subject: string; publicKey: string };
  /** 201, the scripted status, 400/401 for a bad body or VAPID header, or "hang". */
  status: number | "hang";
  /** Why it answered 400/401. */
  error?: string;
  /** Date.now() when the request had arrived in full. */
  at: number;
}

export interface PushEndpoint {
  /** `https://127.0.0.1:<port>` */
  url: string;
  /** Trusts exactly this endpoint's self-signed certificate (for makePushSender). */
  agent: https.Agent;
  subscription(): TestSubscription;
  received: ReceivedPush[];
  /**
   * Scripts the next `times` answers (default: all) to subscription `id`, after later-added
   * scripts are used up in order; "hang" never answers. Unscripted requests get 201.
   */
  respondWith(id: string, status: number | "hang", headers?: Record<string, string>, times?: number): void;
  /** Resolves with `received` once it has at least `n` entries. */
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedPush[]>;
  /** Closes the server and every open connection, including hanging ones. */
  stop(): Promise<void>;
}

interface Script {
  status: number | "hang";
  headers: Record<string, string>;
  remaining: number;
}

export async function startPushEndpoint(): Promise<PushEndpoint> {
  const { key, cert } = selfSignedCertificate();
  const subscriptions = new Map<string, TestSubscription>();
  const scripts = new Map<string, Script[]>();
  const received: ReceivedPush[] = [];
  const waiters = new Set<() => void>();
  let origin = "";

  const server = https.createServer({ key, cert }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", async () => {
      const id = /^\/push\/([^/?]+)$/.exec(request.url ?? "")?.[1] ?? "";
      const subscription = subscriptions.get(id);
      const entry: ReceivedPush = { id, headers: request.headers, payload: undefined, status: 201, at: Date.now() };
      try {
        if (request.method !== "POST" || !subscription) throw Object.assign(new Error("no such subscription"), { status: 404 });
        entry.vapid = await verifyVapid(request.headers.authorization, origin);
        if (request.headers["content-encoding"] !== "aes128gcm") throw Object.assign(new Error("Content-Encoding must be aes128gcm"), { status: 400 });
        if (request.headers.ttl === undefined) throw Object.assign(new Error("TTL header missing"), { status: 400 });
        entry.payload = JSON.parse(decryptAes128gcm(Buffer.concat(chunks), subscription.secrets).toString("utf8"));
      } catch (err) {
        entry.status = (err as { status?: number }).status ?? 400;
        entry.error = (err as Error).message;
      }
      const script = entry.status === 201 ? nextScript(scripts, id) : undefined;
      if (script) entry.status = script.status;
      received.push(entry);
      for (const wake of waiters) wake();
      if (entry.status === "hang") return;
      response.writeHead(entry.status, script?.headers ?? {}).end(entry.error ?? "");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  origin = `https://127.0.0.1:${port}`;
  const agent = new https.Agent({ ca: cert });

  return {
    url: origin,
    agent,
    received,
    subscription() {
      const ecdh = createECDH("prime256v1");
      ecdh.generateKeys();
      const authSecret = randomBytes(16);
      const id = randomUUID();
      const subscription: TestSubscription = {
        id,
        endpoint: `${origin}/push/${id}`,
        keys: { p256dh: ecdh.getPublicKey().toString("base64url"), auth: authSecret.toString("base64url") },
        secrets: { ecdh, authSecret },
      };
      subscriptions.set(id, subscription);
      return subscription;
    },
    respondWith(id, status, headers = {}, times = Infinity) {
      scripts.set(id, [...(scripts.get(id) ?? []), { status, headers, remaining: times }]);
    },
    waitFor(n, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (received.length < n) return;
          done();
          resolve(received);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`waitFor: ${received.length} of ${n} push requests after ${timeoutMs} ms`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async stop() {
      agent.destroy();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function nextScript(scripts: Map<string, Script[]>, id: string): Script | undefined {
  const queue = scripts.get(id);
  const script = queue?.[0];
  if (!queue || !script) return undefined;
  if (--script.remaining <= 0) queue.shift();
  return script;
}

/**
 * The browser's side of RFC 8291: the body is `salt(16) | rs(4) | idlen(1) | sender key(65)`
 * then records of `rs` bytes, each AES-128-GCM with a nonce XORed with its sequence number and
 * ending in a delimiter (1, or 2 for the last record) before zero padding (RFC 8188).
 */
export function decryptAes128gcm(body: Buffer, ua: { ecdh: ECDH; authSecret: Buffer }): Buffer {
  if (body.length < 21) throw new Error("body shorter than the aes128gcm header");
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body[20]!;
  const senderKey = body.subarray(21, 21 + idlen);
  if (idlen !== 65) throw new Error(`keyid must be the sender's 65-byte public key, got ${idlen} bytes`);
  if (rs < 18) throw new Error(`record size ${rs} is below the minimum of 18`);
  const info = (label: string) => Buffer.from(`Content-Encoding: ${label}\0`);
  const ecdhSecret = ua.ecdh.computeSecret(senderKey);
  const keyInfo = Buffer.concat([Buffer.from("WebPush: info\0"), ua.ecdh.getPublicKey(), senderKey]);
  const ikm = Buffer.from(hkdfSync("sha256", ecdhSecret, ua.authSecret, keyInfo, 32));
  const cek = Buffer.from(hkdfSync("sha256", ikm, salt, info("aes128gcm"), 16));
  const baseNonce = Buffer.from(hkdfSync("sha256", ikm, salt, info("nonce"), 12));

  const content = body.subarray(21 + idlen);
  const parts: Buffer[] = [];
  for (let seq = 0, offset = 0; offset < content.length; seq++, offset += rs) {
    const record = content.subarray(offset, offset + rs);
    const last = offset + rs >= content.length;
    if (record.length <= 16) throw new Error(`record ${seq} is too short`);
    const nonce = Buffer.from(baseNonce);
    // Sequence numbers stay far below 2^32 here, so XORing the low 32 bits is the whole XOR.
    nonce.writeUInt32BE((nonce.readUInt32BE(8) ^ seq) >>> 0, 8);
    const decipher = createDecipheriv("aes-128-gcm", cek, nonce);
    decipher.setAuthTag(record.subarray(record.length - 16));
    const plain = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
    let end = plain.length - 1;
    while (end >= 0 && plain[end] === 0) end--;
    if (plain[end] !== (last ? 2 : 1)) throw new Error(`record ${seq} has a wrong padding delimiter`);
    parts.push(plain.subarray(0, end));
  }
  return Buffer.concat(parts);
}

/** RFC 8292: `vapid t=<ES256 JWT>, k=<public key>`, aud = our origin, exp within 24 h. */
async function verifyVapid(header: string | undefined, audience: string): Promise<{ subject: string; publicKey: string }> {
  const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header ?? "");
  if (!match) throw Object.assign(new Error(`no VAPID Authorization header: ${header ?? "(none)"}`), { status: 401 });
  const token = match[1]!;
  const k = match[2]!;
  const point = Buffer.from(k, "base64url");
  try {
    const key = await importJWK({ kty: "EC", crv: "P-256", x: point.subarray(1, 33).toString("base64url"), y: point.subarray(33).toString("base64url") }, "ES256");
    const { payload } = await jwtVerify(token, key, { algorithms: ["ES256"], audience, requiredClaims: ["exp", "sub"] });
    if (payload.exp! > Date.now() / 1000 + 24 * 3600) throw new Error("exp is more than 24 h ahead");
    if (!/^(mailto:|https:)/.test(String(payload.sub))) throw new Error(`sub is not mailto: or https: (${payload.sub})`);
    return { subject: String(payload.sub), publicKey: k };
  } catch (err) {
    throw Object.assign(new Error(`VAPID JWT rejected: ${(err as Error).message}`), { status: 401 });
  }
}

let certificate: { key: string; cert: string } | undefined;

/** An EC certificate for IP 127.0.0.1 from the openssl CLI (node:crypto cannot issue X.509); one per test process. */
function selfSignedCertificate(): { key: string; cert: string } {
  if (certificate) return certificate;
  const dir = mkdtempSync(path.join(tmpdir(), "taskjet-push-cert-"));
  try {
    const [keyFile, certFile] = [path.join(dir, "key.pem"), path.join(dir, "cert.pem")];
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", keyFile, "-out", certFile], { stdio: "ignore" });
    certificate = { key: readFileSync(keyFile, "utf8"), cert: readFileSync(certFile, "utf8") };
    return certificate;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
