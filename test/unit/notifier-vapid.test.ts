// The VAPID key pair: from the environment, else generated once into DATA_DIR and shared.
import { spawn } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import { runVapid } from "../../src/cli/vapid.ts";
import { DEFAULT_VAPID_SUBJECT, generateVapidKeyPair, loadVapidKeys, vapidFilePath } from "../../src/workers/notifier/vapid.ts";
import { tempDir } from "../helpers/context.ts";

const config = (over: { vapid?: { publicKey?: string; privateKey?: string; subject?: string }; publicUrl?: string; dataDir?: string } = {}) => ({
  dataDir: over.dataDir ?? tempDir(),
  publicUrl: over.publicUrl ?? "http://localhost:8080",
  vapid: over.vapid ?? {},
});

describe("the VAPID keys", () => {
  it("are VAPID_PUBLIC_KEY / VAPID_PRIVATE_KEY when set, and then nothing is written to DATA_DIR", () => {
    const pair = generateVapidKeyPair();
    const c = config({ vapid: pair });
    expect(loadVapidKeys(c)).toEqual({ ...pair, subject: DEFAULT_VAPID_SUBJECT });
    expect(() => statSync(vapidFilePath(c.dataDir))).toThrow(/ENOENT/);
  });

  it("refuse a private key that does not belong to the public key, or one key without the other", () => {
    const [a, b] = [generateVapidKeyPair(), generateVapidKeyPair()];
    expect(() => loadVapidKeys(config({ vapid: { publicKey: a.publicKey, privateKey: b.privateKey } }))).toThrow(/invalid VAPID_PRIVATE_KEY: the private key does not belong to VAPID_PUBLIC_KEY/);
    expect(() => loadVapidKeys(config({ vapid: { publicKey: "abc", privateKey: a.privateKey } }))).toThrow(/invalid VAPID_PUBLIC_KEY/);
    expect(() => loadVapidKeys(config({ vapid: { publicKey: a.publicKey } }))).toThrow(/invalid VAPID_PRIVATE_KEY: set VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY together/);
  });

  it("are generated into DATA_DIR/vapid-keys.json with mode 0600 and read back on the next start", () => {
    const c = config();
    const first = loadVapidKeys(c);
    expect(Buffer.from(first.publicKey, "base64url")).toHaveLength(65);
    expect(Buffer.from(first.privateKey, "base64url")).toHaveLength(32);
    expect(statSync(vapidFilePath(c.dataDir)).mode & 0o777).toBe(0o600);
    expect(loadVapidKeys(c)).toEqual(first);
  });

  it("come out the same for processes starting together on one DATA_DIR", async () => {
    const dataDir = tempDir();
    const script = `import { loadVapidKeys } from "./src/workers/notifier/vapid.ts"; process.stdout.write(loadVapidKeys({ dataDir: ${JSON.stringify(dataDir)}, publicUrl: "http://localhost", vapid: {} }).publicKey);`;
    const outputs = await Promise.all(
      Array.from({ length: 4 }, () => new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
        let out = "";
        child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
        child.once("error", reject);
        child.once("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))));
      })),
    );
    expect(new Set(outputs).size).toBe(1);
    expect(JSON.parse(readFileSync(vapidFilePath(dataDir), "utf8")).publicKey).toBe(outputs[0]);
  });

  it("refuse a damaged key file, naming it and what deleting it costs", () => {
    const c = config();
    writeFileSync(vapidFilePath(c.dataDir), "{not json", { mode: 0o600 });
    expect(() => loadVapidKeys(c)).toThrow(/vapid-keys\.json: not a JSON object .*delete the file .*subscriptions then stop working/);
  });
});

describe("the VAPID subject", () => {
  it.each([
    [{ subject: "mailto:ops@example.com" }, "https://tasks.example.com/app", "mailto:ops@example.com"],
    [{}, "https://tasks.example.com/app", "https://tasks.example.com"],
    [{}, "https://localhost:8443", DEFAULT_VAPID_SUBJECT],
    [{}, "http://tasks.example.com", DEFAULT_VAPID_SUBJECT],
  ])("VAPID_SUBJECT %o with PUBLIC_URL %s → %s", (vapid, publicUrl, subject) => {
    const pair = generateVapidKeyPair();
    expect(loadVapidKeys(config({ vapid: { ...pair, ...vapid }, publicUrl })).subject).toBe(subject);
  });
});

describe("taskjet vapid", () => {
  it("prints a new, valid pair as two environment lines and exits 0", () => {
    const write = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      expect(runVapid()).toBe(0);
      const out = write.mock.calls.map((call) => String(call[0])).join("");
      const match = /^VAPID_PUBLIC_KEY=([\w-]+)\nVAPID_PRIVATE_KEY=([\w-]+)\n$/.exec(out);
      expect(match).not.toBeNull();
      expect(() => loadVapidKeys(config({ vapid: { publicKey: match![1], privateKey: match![2] } }))).not.toThrow();
    } finally {
      write.mockRestore();
    }
  });
});
