// The service worker, served at /sw.js so its scope is the whole app. It shows reminder pushes
// as notifications whose "Done" and "Snooze 10 min" buttons act on the task through the API (with
// the session the page keeps in IndexedDB), and opens the task on a click. It caches nothing:
// the app is useless without its server, and stale cached code is worse than a clear failure.
importScripts("/assets/__BUILD__/js/session-store.js");

const SNOOZE_MINUTES = 10;
const ACTION_TITLES = { done: "Done", snooze: `Snooze ${SNOOZE_MINUTES} min` };

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
self.addEventListener("push", (event) => event.waitUntil(showReminder(event.data)));
self.addEventListener("notificationclick", (event) => event.waitUntil(onNotificationClick(event.notification, event.action)));
self.addEventListener("pushsubscriptionchange", (event) => event.waitUntil(resubscribe(event.oldSubscription)));

/** The notifier's payload `{title, body, url, task_id, reminder_id, actions, tag}` as a notification. */
async function showReminder(data) {
  let payload = null;
  try {
    payload = data ? data.json() : null;
  } catch {
    payload = null;
  }
  // Chrome requires a visible notification for every push (userVisibleOnly): show something even for a payload we don't understand.
  if (!payload || typeof payload.title !== "string") payload = { title: "taskjet", body: data ? data.text() : "", actions: [] };
  const actions = (Array.isArray(payload.actions) ? payload.actions : [])
    .filter((a) => a && ACTION_TITLES[a.action])
    .map((a) => ({ action: a.action, title: typeof a.title === "string" && a.title ? a.title : ACTION_TITLES[a.action] }));
  return self.registration.showNotification(payload.title, {
    body: payload.body || "",
    tag: payload.tag,
    renotify: Boolean(payload.tag),
    icon: "/assets/__BUILD__/icon.svg",
    data: { url: payload.url || "/", task_id: payload.task_id, reminder_id: payload.reminder_id },
    actions: payload.task_id ? actions : [],
  });
}

/**
 * A click on the notification (`action` ""), or on one of its buttons. Also what the browser
 * test calls directly: headless Chromium cannot click a system notification.
 */
async function onNotificationClick(notification, action) {
  const { url, task_id: taskId, reminder_id: reminderId } = notification.data || {};
  notification.close();
  const task = taskId ? `/api/v1/users/me/tasks/${encodeURIComponent(taskId)}` : null;
  if (action === "done" && task) {
    if (await callApi("PATCH", `${task}/complete`)) return;
  } else if (action === "snooze" && task && reminderId) {
    if (await callApi("POST", `${task}/reminders/${encodeURIComponent(reminderId)}/snooze`, { minutes: SNOOZE_MINUTES })) return;
  }
  // A plain click, or an action that could not be done here (signed out, offline): open the task.
  return openApp(url);
}

/** True when the API did it (or it was already so: 409 on completing a completed task). */
async function callApi(method, path, body) {
  const store = self.taskjetSession;
  let session = await store.fresh().catch(() => store.get());
  for (let attempt = 0; session && attempt < 2; attempt++) {
    let response;
    try {
      response = await fetch(path, {
        method,
        headers: { authorization: `Bearer ${session.access_token}`, ...(body ? { "content-type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch {
      return false;
    }
    if (response.ok || response.status === 409) return true;
    if (response.status !== 401) return false;
    session = await store.refresh(session.access_token).catch(() => null);
  }
  return false;
}

/**
 * Focuses a tab of the app on the task, or opens one. Only the link's hash is used, on this
 * worker's own origin: PUBLIC_URL may name another host name for the same server.
 */
async function openApp(url) {
  const hash = url && url.includes("#") ? url.slice(url.indexOf("#")) : "#/";
  const target = new URL(`/${hash}`, self.registration.scope).href;
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const existing = windows.find((client) => new URL(client.url).origin === self.location.origin);
  if (existing) {
    // navigate() works only on a page this worker controls; a focused tab is still better than none.
    const navigated = await existing.navigate(target).catch(() => null);
    return (navigated || existing).focus().catch(() => undefined);
  }
  return self.clients.openWindow(target);
}

/** The browser replaced the subscription (expiry, key rotation): tell the API about the new one. */
async function resubscribe(old) {
  const options = old && old.options ? old.options : null;
  if (!options) return;
  const subscription = await self.registration.pushManager.subscribe(options);
  const session = await self.taskjetSession.fresh().catch(() => null);
  if (!session) return;
  await fetch("/api/v1/users/me/push-subscriptions", {
    method: "POST",
    headers: { authorization: `Bearer ${session.access_token}`, "content-type": "application/json" },
    body: JSON.stringify(subscription.toJSON()),
  });
}
