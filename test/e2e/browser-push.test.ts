// Web Push in the browser app, end to end. Headless Chromium has no reachable push service, so an
// init script replaces PushManager.prototype.subscribe with one that records its arguments and
// answers with a subscription of the local test push endpoint. The rest is real: the app posts
// the subscription, `taskjet start`'s scheduler and notifier send the encrypted push there, and the
// decrypted payload goes to the service worker through DevTools (ServiceWorker.deliverPushMessage).
// Headless Chromium cannot click a system notification, so the test calls the worker's own click
// handler, onNotificationClick(notification, action), inside the worker on the shown notification.
import { rmSync, writeFileSync } from "node:fs";
import type { AgentOptions } from "node:https";
import path from "node:path";
import type { Browser, BrowserContext, CDPSession, Page, Worker } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiAs, newAppContext, pageErrors, screenshot, signUp, startTaskjetAndChromium, type RunningTaskjet } from "../helpers/browser.ts";
import { tempDir } from "../helpers/context.ts";
import { startPushEndpoint, type PushEndpoint, type TestSubscription } from "../helpers/push-endpoint.ts";
import { waitFor } from "../helpers/wait.ts";

let endpoint: PushEndpoint;
let caDir: string;
let taskjet: RunningTaskjet;
let browser: Browser;
let context: BrowserContext;
let subscription: TestSubscription;
let page: Page;
let errors: string[];
/** DevTools on the page, with the ServiceWorker domain on: the way to hand the worker a push. */
let cdp: CDPSession;
let registrationId: string;
let worker: Worker;

beforeAll(async () => {
  endpoint = await startPushEndpoint();
  // The notifier runs in the taskjet process: it trusts the endpoint's self-signed certificate
  // through NODE_EXTRA_CA_CERTS, the way an operator would add a private CA.
  caDir = tempDir("taskjet-push-ca-");
  const caFile = path.join(caDir, "ca.pem");
  writeFileSync(caFile, String((endpoint.agent.options as AgentOptions).ca));
  [taskjet, browser] = await startTaskjetAndChromium({ NODE_EXTRA_CA_CERTS: caFile });

  subscription = endpoint.subscription();
  context = await newAppContext(browser);
  await context.grantPermissions(["notifications"], { origin: taskjet.url });
  await context.addInitScript(`(${FAKE_PUSH_MANAGER})(${JSON.stringify({ endpoint: subscription.endpoint, keys: subscription.keys })})`);
  page = await context.newPage();
  errors = pageErrors(page);
  cdp = await context.newCDPSession(page);
  const registered = new Promise<string>((resolve) => {
    cdp.on("ServiceWorker.workerRegistrationUpdated", ({ registrations }) => {
      const found = registrations.find((r) => r.scopeURL === `${taskjet.url}/` && !r.isDeleted);
      if (found) resolve(found.registrationId);
    });
  });
  await cdp.send("ServiceWorker.enable");
  // The app registers its worker on every load, before anyone asks for notifications.
  await signUp(page, taskjet.url);
  registrationId = await registered;
  await page.evaluate("navigator.serviceWorker.ready");
  worker = context.serviceWorkers().find((w) => w.url() === `${taskjet.url}/sw.js`) ?? (await context.waitForEvent("serviceworker"));
});
afterAll(async () => {
  await context?.close();
  await browser?.close();
  await taskjet?.stop();
  await endpoint?.stop();
  if (caDir) rmSync(caDir, { recursive: true, force: true });
});

/** Runs in the page before the app: a PushManager whose subscribe records its call and returns `sub`. */
const FAKE_PUSH_MANAGER = `(sub) => {
  const toBase64url = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  const bytesOf = (key) => typeof key === "string" ? key : toBase64url(new Uint8Array(ArrayBuffer.isView(key) ? key.buffer.slice(key.byteOffset, key.byteOffset + key.byteLength) : key));
  let current = null;
  window.__subscribeCalls = [];
  PushManager.prototype.subscribe = async function (options) {
    window.__subscribeCalls.push({ userVisibleOnly: options.userVisibleOnly, applicationServerKey: bytesOf(options.applicationServerKey) });
    current = {
      endpoint: sub.endpoint,
      expirationTime: null,
      options: { userVisibleOnly: true, applicationServerKey: options.applicationServerKey },
      toJSON: () => ({ endpoint: sub.endpoint, expirationTime: null, keys: sub.keys }),
      unsubscribe: async () => { current = null; return true; },
    };
    return current;
  };
  PushManager.prototype.getSubscription = async function () { return current; };
}`;

interface ShownNotification {
  title: string;
  body: string;
  actions: Array<{ action: string; title: string }>;
  data: { url: string; task_id: string; reminder_id: string };
}

const shownNotifications = () =>
  worker.evaluate("self.registration.getNotifications().then((ns) => ns.map((n) => ({ title: n.title, body: n.body, actions: n.actions.map((a) => ({ action: a.action, title: a.title })), data: n.data })))") as Promise<ShownNotification[]>;

/** Hands `payload` to the worker as the push service would, and waits until it is shown. */
async function deliverPush(payload: unknown): Promise<ShownNotification> {
  // A busy machine can lose the hand-over to a worker that is just starting: try it again. The
  // notification's tag makes a second copy replace the first, so one is shown either way.
  for (let attempt = 1; ; attempt++) {
    await cdp.send("ServiceWorker.deliverPushMessage", { origin: taskjet.url, registrationId, data: JSON.stringify(payload) });
    try {
      const [shown] = await waitFor(() => shownNotifications(), (list) => list.length === 1, { timeoutMs: 5_000, intervalMs: 50 });
      return shown!;
    } catch (err) {
      if (attempt === 3) throw err;
    }
  }
}

/** What the worker does when the user presses a notification button ("" = the notification itself). */
const clickNotification = (action: string) =>
  worker.evaluate(`self.registration.getNotifications().then(([n]) => onNotificationClick(n, ${JSON.stringify(action)}))`);

describe("push notifications in the browser app", () => {
  it("subscribes with the VAPID key, posts the subscription, shows the notifier's push, and its Done action completes the task", async () => {
    await page.getByRole("link", { name: "Settings" }).click();
    await page.getByRole("button", { name: "Enable push notifications" }).click();
    await page.getByText("Push notifications are on for this browser.").waitFor();
    await screenshot(page, "settings");

    // The worker is registered at the root scope, and subscribe got the server's VAPID key.
    expect(await page.evaluate("navigator.serviceWorker.getRegistration('/').then((r) => r && r.active && r.active.scriptURL)")).toBe(`${taskjet.url}/sw.js`);
    const { public_key } = await apiAs<{ public_key: string }>(page, taskjet.url, "GET", "/push/vapid-public-key");
    expect(await page.evaluate("window.__subscribeCalls")).toEqual([{ userVisibleOnly: true, applicationServerKey: public_key }]);

    // "Send a test notification": a task with a push reminder 5 s ahead; the notifier pushes it.
    await page.getByRole("button", { name: "Send a test notification" }).click();
    await page.getByText("A test notification is on its way").waitFor();
    const [received] = await endpoint.waitFor(1, 20_000);
    expect(received).toMatchObject({ id: subscription.id, status: 201, vapid: { publicKey: public_key } });
    const payload = received!.payload as { title: string; task_id: string; reminder_id: string; url: string };
    expect(payload).toMatchObject({ title: "Test notification from taskjet", url: `${taskjet.url}/#/tasks/${payload.task_id}` });

    const shown = await deliverPush(payload);
    expect(shown).toMatchObject({
      title: "Test notification from taskjet",
      actions: [{ action: "done", title: "Done" }, { action: "snooze", title: "Snooze 10 min" }],
      data: { task_id: payload.task_id, reminder_id: payload.reminder_id },
    });

    await clickNotification("done");
    const task = await apiAs<{ status: string }>(page, taskjet.url, "GET", `/users/me/tasks/${payload.task_id}`);
    expect(task.status).toBe("completed");
    expect(await shownNotifications()).toEqual([]);

    // The ledger lists the delivery.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Notifications" }).click();
    const ledgerRow = page.locator("table.ledger tbody tr").filter({ hasText: "Test notification from taskjet" });
    await ledgerRow.waitFor();
    expect(await ledgerRow.locator("td").allTextContents()).toEqual([expect.any(String), "Test notification from taskjet", "Push", "Sent", ""]);
    expect(errors).toEqual([]);
  });

  it("Snooze 10 min reschedules the reminder, and a click on the notification opens the task", async () => {
    const task = await apiAs<{ id: string; reminders: Array<{ id: string }> }>(page, taskjet.url, "POST", "/users/me/tasks", {
      title: "Call the plumber",
      reminders: [{ at: new Date(Date.now() + 3_600_000).toISOString(), channels: ["push"] }],
    });
    const reminderId = task.reminders[0]!.id;
    const payload = {
      title: "Call the plumber",
      body: "",
      url: `${taskjet.url}/#/tasks/${task.id}`,
      task_id: task.id,
      reminder_id: reminderId,
      actions: [{ action: "done", title: "Done" }, { action: "snooze", title: "Snooze 10 min" }],
    };

    await deliverPush(payload);
    const snoozedAt = Date.now();
    await clickNotification("snooze");
    const snoozed = await apiAs<{ status: string; reminders: Array<{ id: string; fire_at: string }> }>(page, taskjet.url, "GET", `/users/me/tasks/${task.id}`);
    expect(snoozed.status).toBe("pending");
    const fireAt = Date.parse(snoozed.reminders.find((r) => r.id === reminderId)!.fire_at);
    expect(Math.abs(fireAt - (snoozedAt + 10 * 60_000))).toBeLessThan(30_000);

    await deliverPush(payload);
    await clickNotification("");
    await page.waitForURL(`${taskjet.url}/#/tasks/${task.id}`);
    await page.getByRole("heading", { level: 1, name: "Edit task" }).waitFor();
    expect(await page.getByLabel("Title").inputValue()).toBe("Call the plumber");
  });
});
