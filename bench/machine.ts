// What the numbers were measured on: they mean little without it.
import { execFileSync } from "node:child_process";
import os from "node:os";
import { natsServerBinary } from "./processes/nats-server.ts";

export interface Machine {
  cpu: string;
  cores: number;
  ramGb: number;
  os: string;
  node: string;
  natsServer: string;
  date: string;
  /** 1-minute load average when the run started and when it ended: above the core count, other work shared the machine. */
  loadAverage: { start: number; end?: number };
}

/** The 1-minute load average now. */
export function loadAverageNow(): number {
  return Math.round(os.loadavg()[0]! * 100) / 100;
}

export function describeMachine(): Machine {
  let natsServer = "unknown";
  try {
    natsServer = execFileSync(natsServerBinary(), ["--version"], { encoding: "utf8" }).trim().replace(/^nats-server:\s*/, "");
  } catch {
    natsServer = "not found";
  }
  return {
    cpu: os.cpus()[0]?.model.trim() ?? "unknown",
    cores: os.cpus().length,
    ramGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    natsServer,
    date: new Date().toISOString(),
    loadAverage: { start: Math.round(os.loadavg()[0]! * 100) / 100 },
  };
}
