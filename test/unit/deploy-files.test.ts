// The deployment files tell the truth: compose.yaml runs every role with the
// right NATS user and database per profile, images are pinned, nats.conf is a
// config nats-server accepts. Docker itself is not needed (nor run) here.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { natsServerBinary } from "../helpers/nats-server.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const read = (file: string) => readFileSync(`${root}${file}`, "utf8");

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  profiles?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

// `merge: true` resolves the `<<:` merge keys compose uses for shared config.
const compose = parse(read("compose.yaml"), { merge: true }) as Compose;
const services = Object.entries(compose.services);
const natsConf = read("nats.conf");

const ROLES = ["api", "relay", "scheduler", "recurring", "notifier", "audit"];
const PROFILES = ["sqlite", "postgres"];
/** Configuration names of DESIGN.md; each may also be given as NAME_FILE. */
const DOCUMENTED_ENV = new Set([
  "PORT", "HOST", "DATA_DIR", "DATABASE_URL", "NATS_URL", "NATS_USER", "NATS_PASSWORD", "NATS_CREDS",
  "JWT_SECRET", "JWKS_URL", "JWT_ISSUER", "JWT_AUDIENCE", "SMTP_URL", "MAIL_FROM",
  "VAPID_PUBLIC_KEY", "VAPID_PRIVATE_KEY", "VAPID_SUBJECT", "TASKJET_ROLES", "LOG_LEVEL", "PUBLIC_URL",
  "RATE_LIMIT_ANON", "RATE_LIMIT_USER", "REMINDER_GRACE", "AUDIT_RETENTION_DAYS", "SQLITE_SYNCHRONOUS",
]);

const isTaskjet = (s: Service) => s.build !== undefined;
const activeIn = (profile: string) =>
  services.filter(([, s]) => !s.profiles || s.profiles.includes(profile));
const taskjetIn = (profile: string) => activeIn(profile).filter(([, s]) => isTaskjet(s));
const rolesOf = (s: Service): string[] => {
  const cmd = s.command ?? [];
  const flag = cmd.indexOf("--roles");
  if (cmd[0] !== "start") return [];
  if (flag === -1) return s.environment?.TASKJET_ROLES?.split(",") ?? ROLES;
  return cmd[flag + 1]?.split(",") ?? [];
};
const natsService = () => {
  const nats = compose.services.nats;
  if (!nats) throw new Error("compose.yaml has no nats service");
  return nats;
};

/** user → the env variable nats.conf reads its password from. */
const natsPasswordVars = new Map(
  [...natsConf.matchAll(/user:\s*(\w+)\s+password:\s*\$(\w+)/g)].map((m) => [m[1]!, m[2]!]),
);

describe("compose.yaml", () => {
  it("pins the nats image to an exact x.y.z release and passes the repo's nats.conf", () => {
    const nats = natsService();
    expect(nats.image).toMatch(/^nats:\d+\.\d+\.\d+(-alpine)?$/);
    expect(nats.command).toEqual(["-c", "/etc/nats/nats.conf"]);
    expect(nats.volumes).toContain("./nats.conf:/etc/nats/nats.conf:ro");
    expect(nats.volumes?.some((v) => v.endsWith(":/data"))).toBe(true);
    expect(nats.healthcheck?.test?.join(" ")).toContain("/healthz");
    expect(nats.ports?.map((p) => p.split(":").at(-1))).toEqual(["4222", "8222"]);
  });

  it("pins every other third-party image to a version, never latest", () => {
    for (const [name, s] of services.filter(([, s]) => !isTaskjet(s))) {
      expect(s.image, name).toMatch(/^[\w./-]+:v?\d+\.\d+[\w.-]*$/);
      expect(s.image, name).not.toMatch(/latest/);
    }
  });

  it.each(PROFILES)("runs all six roles, split between api and workers, in profile %s", (profile) => {
    const starts = taskjetIn(profile).filter(([, s]) => s.command?.[0] === "start");
    expect(starts.flatMap(([, s]) => rolesOf(s)).sort()).toEqual([...ROLES].sort());
    const byService = Object.fromEntries(starts.map(([name, s]) => [name.replace(/-pg$/, ""), rolesOf(s)]));
    expect(byService).toEqual({ api: ["api", "relay"], workers: ["scheduler", "recurring", "notifier", "audit"] });
  });

  it.each(PROFILES)("migrates once before api and workers start, in profile %s", (profile) => {
    const migrations = taskjetIn(profile).filter(([, s]) => s.command?.[0] === "migrate");
    expect(migrations).toHaveLength(1);
    const [migrateName] = migrations[0]!;
    for (const [name, s] of taskjetIn(profile).filter(([, s]) => s.command?.[0] === "start")) {
      expect(s.depends_on?.[migrateName], name).toEqual({ condition: "service_completed_successfully" });
      expect(s.depends_on?.nats, name).toEqual({ condition: "service_healthy" });
    }
  });

  it("sets only documented environment variables on taskjet services", () => {
    for (const [name, s] of services.filter(([, s]) => isTaskjet(s))) {
      const names = Object.keys(s.environment ?? {});
      expect(names.length, name).toBeGreaterThan(0);
      for (const variable of names) {
        expect(DOCUMENTED_ENV.has(variable.replace(/_FILE$/, "")), `${name}: ${variable}`).toBe(true);
      }
    }
  });

  it("logs each taskjet service in as the NATS user of its roles, with the password nats gets", () => {
    const expected = (s: Service) =>
      s.command?.[0] === "migrate" ? "admin" : rolesOf(s).includes("api") ? "api" : "worker";
    for (const [name, s] of services.filter(([, s]) => isTaskjet(s))) {
      const env = s.environment ?? {};
      expect(env.NATS_USER, name).toBe(expected(s));
      expect(env.NATS_URL, name).toBe("nats://nats:4222");
      const variable = natsPasswordVars.get(env.NATS_USER!);
      expect(variable, name).toBe(`NATS_${env.NATS_USER!.toUpperCase()}_PASSWORD`);
      expect(env.NATS_PASSWORD, name).toBe(natsService().environment?.[variable!]);
    }
    // Every user of nats.conf gets its password from the nats service.
    expect([...natsPasswordVars.keys()].sort()).toEqual(["admin", "api", "viewer", "worker"]);
    for (const variable of natsPasswordVars.values()) {
      expect(natsService().environment?.[variable]).toMatch(new RegExp(`^\\$\\{${variable}:-[A-Za-z][A-Za-z0-9]*\\}$`));
    }
  });

  it("uses SQLite on the shared volume by default and Postgres in profile postgres", () => {
    expect(read(".env")).toMatch(/^COMPOSE_PROFILES=sqlite$/m);
    for (const [name, s] of taskjetIn("sqlite")) {
      expect(s.environment?.DATABASE_URL, name).toMatch(/^file:\/data\//);
    }
    const postgres = compose.services.postgres;
    expect(postgres?.profiles).toEqual(["postgres"]);
    for (const [name, s] of taskjetIn("postgres")) {
      const url = new URL(s.environment?.DATABASE_URL ?? "");
      expect(url.protocol, name).toBe("postgres:");
      expect(url.hostname, name).toBe("postgres");
      expect(url.username, name).toBe(postgres?.environment?.POSTGRES_USER);
      expect(decodeURIComponent(url.password), name).toBe(postgres?.environment?.POSTGRES_PASSWORD);
      expect(s.depends_on?.postgres ?? s.depends_on?.[`migrate-pg`], name).toBeDefined();
    }
    // The two profiles never run a taskjet service together.
    const sqliteNames = taskjetIn("sqlite").map(([n]) => n);
    expect(taskjetIn("postgres").filter(([n]) => sqliteNames.includes(n))).toEqual([]);
  });

  it("mounts one data volume in every taskjet container and declares every named volume", () => {
    const declared = Object.keys(compose.volumes ?? {});
    const dataMounts = new Set(
      services.filter(([, s]) => isTaskjet(s)).map(([, s]) => s.volumes?.find((v) => v.endsWith(":/data"))),
    );
    expect([...dataMounts]).toEqual(["taskjet-data:/data"]);
    for (const [name, s] of services) {
      for (const volume of s.volumes ?? []) {
        const source = volume.split(":")[0]!;
        if (!source.startsWith(".") && !source.startsWith("/")) expect(declared, name).toContain(source);
      }
    }
  });

  it("serves the api on 8080 and keeps workers portless so they scale", () => {
    for (const [name, s] of services.filter(([, s]) => isTaskjet(s))) {
      const ports = s.ports ?? [];
      if (rolesOf(s).includes("api")) expect(ports, name).toEqual(["8080:8080"]);
      else expect(ports, name).toEqual([]);
    }
  });
});

describe("nats.conf", () => {
  const env = {
    ...process.env,
    NATS_ADMIN_PASSWORD: "tjadmin1",
    NATS_API_PASSWORD: "tjapi1",
    NATS_WORKER_PASSWORD: "tjworker1",
    NATS_VIEWER_PASSWORD: "tjviewer1",
  };
  const testConfig = (vars: NodeJS.ProcessEnv) =>
    promisify(execFile)(natsServerBinary(), ["-t", "-c", `${root}nats.conf`], { env: vars }).then(
      (r) => ({ ok: true, output: r.stdout + r.stderr }),
      (e: { stdout: string; stderr: string }) => ({ ok: false, output: e.stdout + e.stderr }),
    );

  it("is accepted by nats-server -t with the passwords set", async () => {
    const result = await testConfig(env);
    expect(result.output).toContain("is valid");
    expect(result.ok).toBe(true);
  });

  it("is refused when a password variable is missing (no user left open)", async () => {
    const { NATS_WORKER_PASSWORD: _omitted, ...withoutWorker } = env;
    const result = await testConfig(withoutWorker);
    expect(result.ok).toBe(false);
    expect(result.output).toContain("NATS_WORKER_PASSWORD");
  });

  it("keeps JetStream under /data with the limits compose expects", () => {
    const block = /^jetstream\s*\{([^}]*)\}/m.exec(natsConf)?.[1]?.replace(/#.*$/gm, "") ?? "";
    const settings = Object.fromEntries([...block.matchAll(/(\w+):\s*([^\s,]+)/g)].map((m) => [m[1], m[2]]));
    expect(settings).toEqual({ store_dir: "/data", max_mem: "256M", max_file: "10G" });
    expect(natsConf).toMatch(/^listen:\s*0\.0\.0\.0:4222$/m);
    expect(natsConf).toMatch(/^http_port:\s*8222$/m);
  });
});

describe("Dockerfile", () => {
  const dockerfile = read("Dockerfile");
  const instructions = (name: string) =>
    dockerfile.split("\n").filter((l) => l.startsWith(`${name} `)).map((l) => l.slice(name.length + 1).trim());

  it("builds from an exactly pinned node:20 bookworm-slim image in every stage", () => {
    const froms = instructions("FROM").map((f) => f.split(/\s+/)[0]);
    expect(froms.length).toBe(2);
    for (const image of froms) expect(image).toMatch(/^node:20\.\d+\.\d+-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
  });

  it("runs as a non-root user with /data, port 8080, a /health check and the taskjet entry point", () => {
    const runtime = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/DATA_DIR=\/data/);
    expect(runtime).toMatch(/^VOLUME \/data$/m);
    expect(runtime).toMatch(/^EXPOSE 8080$/m);
    expect(runtime).toMatch(/HEALTHCHECK[\s\S]*CMD \["node",[^\n]*\/health/);
    expect(instructions("ENTRYPOINT")).toEqual(['["node", "bin/taskjet.js"]']);
    expect(instructions("CMD")).toEqual(['["start"]']);
  });

  it("keeps local build output and tests out of the build context", () => {
    const ignored = read(".dockerignore").split("\n").map((l) => l.trim());
    for (const entry of ["node_modules", "dist", "data", ".git", "test", "bench"]) {
      expect(ignored).toContain(entry);
    }
  });
});
