// Live sync as deployed: the api container logs in to NATS as nats.conf's `api` user, whose rights
// allow ordered consumers on TASKS but no stream administration. The hub, a replay and the cleanup
// of their consumers must all work within those rights.
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { signUp } from "../helpers/auth.ts";
import { openTestContext } from "../helpers/context.ts";
import { openSse, openWs, startLiveServer, type LiveClient, type LiveServer } from "../helpers/live-clients.ts";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.ts";
import { waitFor } from "../helpers/wait.ts";

const NATS_CONF = fileURLToPath(new URL("../../nats.conf", import.meta.url));
// Letters and digits only: nats.conf parses the value of $VAR.
const PASSWORDS = { admin: "tjadmin7f3a9c21", api: "tjapi2b8d4e60", worker: "tjworker9c1e5a37", viewer: "tjviewer4d7b2f18" };

let nats: NatsServer;
let s: LiveServer;
const clients: LiveClient[] = [];
beforeAll(async () => {
  nats = await startNatsServer({
    config: NATS_CONF,
    env: { NATS_ADMIN_PASSWORD: PASSWORDS.admin, NATS_API_PASSWORD: PASSWORDS.api, NATS_WORKER_PASSWORD: PASSWORDS.worker, NATS_VIEWER_PASSWORD: PASSWORDS.viewer },
  });
  // Streams are provisioned by `taskjet migrate` as admin, as in compose.
  const admin = await openTestContext({ NATS_URL: nats.url, NATS_USER: "admin", NATS_PASSWORD: PASSWORDS.admin });
  await admin.close();
  s = await startLiveServer({ nats, env: { NATS_USER: "api", NATS_PASSWORD: PASSWORDS.api } });
});
afterAll(async () => {
  for (const client of clients) client.close();
  await s?.close();
  await nats?.stop();
});

it("pushes live events and replays missed ones while logged in as the api user", async () => {
  const user = await signUp(s.t);
  const first = openWs(s.wsUrl, { token: user.accessToken });
  clients.push(first);
  const since = await first.ready;
  const create = (title: string) =>
    fetch(`${s.baseUrl}/api/v1/users/me/tasks`, {
      method: "POST",
      headers: { authorization: `Bearer ${user.accessToken}`, "content-type": "application/json" },
      body: JSON.stringify({ title }),
    });
  expect((await create("live")).status).toBe(201);
  expect((await first.waitForEvents(1))[0]!.data.title).toBe("live");

  const resumed = openSse(s.baseUrl, { token: user.accessToken, lastEventId: since });
  clients.push(resumed);
  await resumed.ready;
  expect(resumed.events.map((e) => e.data.title)).toEqual(["live"]);
  // The replay's consumer is removed once done (without holding the client up); only the hub's
  // remains beside the durables.
  const ephemeral = async () => {
    const names: string[] = [];
    for await (const info of s.t.ctx.nats.jsm.consumers.list("TASKS")) if (!["recurring", "audit-tasks"].includes(info.name)) names.push(info.name);
    return names;
  };
  const left = await waitFor(ephemeral, (names) => names.length === 1);
  expect(left).toEqual([expect.stringMatching(/^live_[0-9a-f]{12}_\d+$/)]);
});
