// The generated HS256 secret: created once per DATA_DIR with mode 0600, shared by every process.
import { spawn } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadJwtSecret, secretFilePath } from "../../src/auth/secret.ts";
import { tempDir } from "../helpers/context.ts";

const text = (key: Uint8Array) => new TextDecoder().decode(key);

describe("the JWT secret", () => {
  it("is JWT_SECRET when set, and then nothing is written to DATA_DIR", async () => {
    const dataDir = tempDir();
    const key = await loadJwtSecret({ dataDir, jwt: { secret: "s".repeat(40) } });
    expect(text(key)).toBe("s".repeat(40));
    expect(() => statSync(secretFilePath(dataDir))).toThrow(/ENOENT/);
  });

  it("is generated into DATA_DIR/jwt-secret with mode 0600 and read back on the next start", async () => {
    const dataDir = tempDir();
    const first = await loadJwtSecret({ dataDir, jwt: {} });
    expect(text(first)).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(statSync(secretFilePath(dataDir)).mode & 0o777).toBe(0o600);
    expect(text(await loadJwtSecret({ dataDir, jwt: {} }))).toBe(text(first));
  });

  it("comes out the same for many loads racing on an empty DATA_DIR, in one process", async () => {
    const dataDir = tempDir();
    const keys = await Promise.all(Array.from({ length: 20 }, () => loadJwtSecret({ dataDir, jwt: {} })));
    expect(new Set(keys.map(text)).size).toBe(1);
  });

  it("comes out the same for processes starting together on one DATA_DIR", async () => {
    const dataDir = tempDir();
    const script = `import { loadJwtSecret } from "./src/auth/secret.ts"; process.stdout.write(new TextDecoder().decode(await loadJwtSecret({ dataDir: ${JSON.stringify(dataDir)}, jwt: {} })));`;
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
    expect(outputs[0]).toBe(readFileSync(secretFilePath(dataDir), "utf8").trim());
  });

  it("refuses a secret file too short to be safe, naming the file", async () => {
    const dataDir = tempDir();
    writeFileSync(secretFilePath(dataDir), "short\n", { mode: 0o600 });
    await expect(loadJwtSecret({ dataDir, jwt: {} })).rejects.toThrow(/jwt-secret: the JWT secret is shorter than 32/);
  });
});
