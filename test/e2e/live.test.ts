// Live sync in a real `taskjet start`: a browser-style client (token in the URL) gets its events
// over WebSocket and SSE, SIGTERM says "going away" to both, and the token never reaches the logs.
import { spawn, type ChildProcess } from "node:child_process";
import { afterEach, expect, it } from "vitest";
import { tempDir } from "../helpers/context.ts";
import { openSse, openWs } from "../helpers/live-clients.ts";
import { freePort } from "../helpers/nats-server.ts";
import { waitFor } from "../helpers/wait.ts";

const running: ChildProcess[] = [];
afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

it("pushes a change to WebSocket and SSE clients that sent ?token=, says going away on SIGTERM, and logs no token", async () => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // The compiled CLI, as `npx taskjet` runs it (`npm test` builds it first, in pretest); debug logs
  // so that any line that could carry a URL is printed.
  const child = spawn(process.execPath, ["bin/taskjet.js", "start"], {
    env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "debug", DATA_DIR: tempDir(), PORT: String(port), HOST: "127.0.0.1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.push(child);
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await waitFor(() => fetch(`${base}/health`).then((r) => r.ok).catch(() => false), Boolean, { timeoutMs: 15_000, intervalMs: 100 });

  const registered = await fetch(`${base}/api/v1/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: `live-${Date.now()}@example.test`, password: "correct horse battery staple", name: "Live" }),
  });
  expect(registered.status).toBe(201);
  const { access_token: token } = (await registered.json()) as { access_token: string };

  const ws = openWs(`ws://127.0.0.1:${port}`, { queryToken: token });
  const sse = openSse(base, { queryToken: token });
  await Promise.all([ws.ready, sse.ready]);
  const created = await fetch(`${base}/api/v1/users/me/tasks`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ title: "seen live" }),
  });
  expect(created.status).toBe(201);
  for (const client of [ws, sse]) expect((await client.waitForEvents(1))[0]).toMatchObject({ event_type: "task.created", data: { title: "seen live" } });

  child.kill("SIGTERM");
  expect(await ws.ended).toEqual({ code: 1001, reason: "server going away" });
  expect(await sse.ended).toEqual({ code: 0, reason: "stream ended" });
  expect(sse.controls.at(-1)).toEqual({ type: "close", reason: "going_away" });
  expect(await exit).toBe(0);
  expect(output).toContain('"msg":"stopped"');
  // Neither the token nor its signature (the part that makes it usable) appears anywhere.
  expect(output).not.toContain(token.split(".")[2]!);
});
