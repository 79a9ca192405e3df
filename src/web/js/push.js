// Web Push from the page's side: the service worker at /sw.js (root scope, so it can open any page
// of the app), a subscription made with the server's VAPID key, and that subscription handed to
// the API so the notifier can reach this browser. sw.js does the rest when a push arrives.
import { api } from "./api.js";

export const pushSupported = () => "serviceWorker" in navigator && "PushManager" in globalThis && "Notification" in globalThis;

/** Registers the worker; without it notifications could not act on tasks. Never throws. */
export async function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return null;
  try {
    return await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  } catch (err) {
    console.warn("service worker registration failed", err);
    return null;
  }
}

/** "unsupported" | "denied" | "off" | "on" — for the Settings page. */
export async function pushStatus() {
  if (!pushSupported()) return "unsupported";
  if (Notification.permission === "denied") return "denied";
  const registration = await navigator.serviceWorker.getRegistration("/");
  const subscription = registration && (await registration.pushManager.getSubscription());
  return subscription && Notification.permission === "granted" ? "on" : "off";
}

/** base64url (the API's VAPID key) → the bytes `applicationServerKey` takes. */
export function keyBytes(base64url) {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}

function sameKey(subscription, key) {
  const current = subscription.options && subscription.options.applicationServerKey;
  if (!current) return true;
  const bytes = new Uint8Array(current);
  return bytes.length === key.length && bytes.every((b, i) => b === key[i]);
}

/**
 * Asks for permission (the browser prompts: this must run from a click), subscribes and stores
 * the subscription. Throws an Error whose message a person can act on.
 */
export async function enablePush() {
  if (!pushSupported()) throw new Error("This browser cannot receive push notifications.");
  const permission = await Notification.requestPermission();
  if (permission !== "granted") throw new Error("Notifications are blocked for this site. Allow them in the browser's site settings, then try again.");
  await registerServiceWorker();
  const registration = await navigator.serviceWorker.ready;
  const { public_key: publicKey } = await api("GET", "/push/vapid-public-key");
  const key = keyBytes(publicKey);
  let subscription = await registration.pushManager.getSubscription();
  // A subscription made for another server key (the operator rotated VAPID keys) cannot be used.
  if (subscription && !sameKey(subscription, key)) {
    await subscription.unsubscribe();
    subscription = null;
  }
  subscription ||= await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  await api("POST", "/users/me/push-subscriptions", { body: subscription.toJSON() });
}

/** Removes the subscription from the API and the browser (on "Disable" and on sign-out). */
export async function disablePush() {
  if (!pushSupported()) return;
  const registration = await navigator.serviceWorker.getRegistration("/");
  const subscription = registration && (await registration.pushManager.getSubscription());
  if (!subscription) return;
  await api("DELETE", "/users/me/push-subscriptions", { body: { endpoint: subscription.endpoint } }).catch(() => null);
  await subscription.unsubscribe();
}

/**
 * "Send a test notification": there is no API that pushes on demand, so this makes a task with a
 * push-only reminder 5 s from now — the real path (scheduler → notifier → push service → worker).
 * Its Done button completes the test task.
 */
export async function sendTestNotification(now = Date.now()) {
  return api("POST", "/users/me/tasks", {
    body: {
      title: "Test notification from taskjet",
      description: "Sent from Settings. Press Done on the notification to complete this task.",
      tags: ["test"],
      priority: "low",
      reminders: [{ at: new Date(now + 5_000).toISOString(), channels: ["push"] }],
    },
  });
}
