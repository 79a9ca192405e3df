// Settings (#/settings): push notifications for this browser (enable, disable, send a test), the
// time zone new tasks start in, and the account (sign out).
import { ApiError, currentUser, signOut } from "../api.js";
import { announce, field, h } from "../dom.js";
import { disablePush, enablePush, pushStatus, sendTestNotification } from "../push.js";
import { allZones, detectedZone, preferredZone, setPreferredZone } from "../zoned-time.js";

const STATUS_TEXT = {
  unsupported: "This browser cannot receive push notifications.",
  denied: "Notifications are blocked for this site. Allow them in the browser's site settings to turn them on.",
  off: "Push notifications are off for this browser.",
  on: "Push notifications are on for this browser.",
};

export async function settingsView({ main, navigate }) {
  const pushText = h("p", { class: "push-status" });
  const pushMessage = h("p", { class: "message", role: "status" });
  // Hidden until showPushStatus knows what it does: an empty button has no name for a screen reader.
  const toggle = h("button", { type: "button", class: "primary", hidden: true });
  const test = h("button", { type: "button", class: "secondary" }, "Send a test notification");

  async function showPushStatus() {
    const status = await pushStatus();
    pushText.textContent = STATUS_TEXT[status];
    toggle.textContent = status === "on" ? "Disable push notifications" : "Enable push notifications";
    toggle.hidden = status === "unsupported";
    toggle.dataset.state = status;
    test.disabled = status !== "on";
  }

  async function busy(button, work) {
    button.disabled = true;
    pushMessage.textContent = "";
    try {
      pushMessage.textContent = await work();
    } catch (err) {
      pushMessage.textContent = err instanceof ApiError || err instanceof Error ? err.message : String(err);
    } finally {
      button.disabled = false;
      await showPushStatus();
    }
  }

  toggle.addEventListener("click", () =>
    busy(toggle, async () => {
      if (toggle.dataset.state === "on") {
        await disablePush();
        return "Push notifications turned off.";
      }
      await enablePush();
      return "Push notifications turned on. Try “Send a test notification”.";
    }),
  );
  test.addEventListener("click", () =>
    busy(test, async () => {
      await sendTestNotification();
      return "A test notification is on its way: it should appear in about 5 seconds.";
    }),
  );

  const zone = h("select", { name: "timezone" }, allZones(preferredZone()).map((z) => h("option", { value: z, selected: z === preferredZone() }, z === detectedZone() ? `${z.replace(/_/g, " ")} (this device)` : z.replace(/_/g, " "))));
  zone.addEventListener("change", () => {
    setPreferredZone(zone.value);
    announce(`Time zone set to ${zone.value}.`);
  });

  const user = currentUser();
  const signOutButton = h("button", { type: "button", class: "secondary" }, "Sign out");
  signOutButton.addEventListener("click", async () => {
    signOutButton.disabled = true;
    // This browser should stop getting the user's reminders once they are signed out.
    await disablePush().catch(() => null);
    await signOut();
    navigate("#/signin", "Signed out.");
  });

  main.append(
    h("h1", { id: "page-title", tabindex: "-1" }, "Settings"),
    h(
      "section",
      { "aria-labelledby": "push-title", class: "card" },
      h("h2", { id: "push-title" }, "Notifications"),
      pushText,
      h("div", { class: "actions" }, toggle, test),
      pushMessage,
      h("p", { class: "hint" }, "Reminders also go by email when the server has mail set up. Every delivery is listed under ", h("a", { href: "#/notifications" }, "Notifications"), "."),
    ),
    h(
      "section",
      { "aria-labelledby": "zone-title", class: "card" },
      h("h2", { id: "zone-title" }, "Time zone"),
      field("timezone", "Time zone for new tasks", zone, { hint: `Detected from this device: ${detectedZone()}. Each task keeps its own zone.` }),
    ),
    h(
      "section",
      { "aria-labelledby": "account-title", class: "card" },
      h("h2", { id: "account-title" }, "Account"),
      h("p", {}, "Signed in as ", h("strong", {}, user ? user.email : "?"), "."),
      signOutButton,
    ),
  );
  await showPushStatus();
}
