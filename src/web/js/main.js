// The app shell: hash routes → views, the signed-in check, the navigation, the connection banner,
// and live sync for as long as someone is signed in. Hash routing means any static host (and
// the links in reminder mails, `/#/tasks/ID`) reaches the right page without server rewrites.
import { ApiError, apiEvents, currentUser, reloadSession } from "./api.js";
import { announce, h } from "./dom.js";
import { startLive } from "./live.js";
import { registerServiceWorker } from "./push.js";
import { notificationsView } from "./views/notifications.js";
import { settingsView } from "./views/settings.js";
import { signInView } from "./views/sign-in.js";
import { taskFormView } from "./views/task-form.js";
import { taskListView } from "./views/task-list.js";

const ROUTES = [
  { pattern: /^\/?$/, name: "list", view: taskListView },
  { pattern: /^\/new$/, name: "new", view: taskFormView },
  { pattern: /^\/tasks\/([^/]+)$/, name: "task", view: taskFormView },
  { pattern: /^\/notifications$/, name: "notifications", view: notificationsView },
  { pattern: /^\/settings$/, name: "settings", view: settingsView },
  { pattern: /^\/signin$/, name: "signin", view: signInView, public: true },
  { pattern: /^\/signup$/, name: "signup", view: signInView, public: true },
];

/** A banner only for an outage that lasts: a reconnect within this long is not worth a flicker. */
const BANNER_DELAY_MS = 1_000;

let cleanup = null;
let live = null;
let pendingFlash = null;
let afterSignIn = null;
let renders = 0;
let shownUserId = null;
const liveFacade = { subscribe: (listener) => (live ? live.subscribe(listener) : () => undefined) };

/** Goes to `hash` (re-rendering even when already there), showing `flash` on the next page. */
function navigate(hash, flash) {
  pendingFlash = flash || null;
  if (location.hash === hash || (hash === "#/" && location.hash === "")) void route();
  else location.hash = hash;
}

function parseHash() {
  const [path, search = ""] = (location.hash.replace(/^#/, "") || "/").split("?");
  return { path, query: new URLSearchParams(search) };
}

async function route() {
  const render = ++renders;
  const { path, query } = parseHash();
  const match = ROUTES.find((r) => r.pattern.test(path));
  const user = currentUser();
  if (match && !match.public && !user) {
    afterSignIn = location.hash || "#/";
    return navigate("#/signin", pendingFlash);
  }
  if (match && match.public && user) return navigate("#/");
  if (cleanup) cleanup();
  cleanup = null;
  shownUserId = user ? user.id : null;
  updateShell(match ? match.name : null, Boolean(user));

  const container = h("div", { class: `view view-${match ? match.name : "missing"}` });
  const flash = pendingFlash;
  pendingFlash = null;
  if (flash) {
    container.append(h("p", { class: "flash" }, flash));
    announce(flash);
  }
  document.getElementById("main").replaceChildren(container);
  try {
    if (!match) throw new ApiError(404, { error: { code: "NOT_FOUND", message: "There is no such page." } });
    const params = { id: match.name === "task" ? decodeURIComponent(path.match(match.pattern)[1]) : null };
    const next = match.public ? afterSignIn : null;
    if (!match.public) afterSignIn = null;
    const stop = await match.view({ main: container, params, query, live: liveFacade, navigate, route: match.name, next });
    if (render !== renders) return stop && stop();
    cleanup = stop || null;
  } catch (err) {
    if (render !== renders) return;
    container.append(problemView(err));
  }
  const heading = container.querySelector("h1");
  document.title = heading ? `${heading.textContent} · taskjet` : "taskjet";
  // Focus the new page's heading, as a full page load would start reading there (not on first load).
  if (render > 1 && heading) heading.focus();
}

function problemView(err) {
  const notFound = err instanceof ApiError && err.status === 404;
  return h(
    "div",
    { class: "problem" },
    h("h1", { tabindex: "-1" }, notFound ? "Not found" : "Something went wrong"),
    h("p", {}, notFound ? "This page or task does not exist (it may have been deleted)." : err.message || String(err)),
    notFound ? h("a", { href: "#/" }, "Back to the task list") : h("button", { type: "button", class: "primary", onclick: () => route() }, "Try again"),
  );
}

function updateShell(name, signedIn) {
  document.getElementById("nav").hidden = !signedIn;
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.dataset.route === name || (name === "task" && link.dataset.route === "list")) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (signedIn && !live) live = startLive({ onStatus: showLiveStatus });
  if (!signedIn && live) {
    live.stop();
    live = null;
    setBanner(null);
  }
}

let bannerTimer;
let liveUp = true;
let networkUp = true;
function setBanner(text) {
  const banner = document.getElementById("banner");
  banner.hidden = !text;
  banner.textContent = text || "";
}
function refreshBanner() {
  clearTimeout(bannerTimer);
  if (!networkUp) return setBanner("The server cannot be reached. Your changes will not be saved until it is back.");
  if (liveUp) return setBanner(null);
  bannerTimer = setTimeout(() => setBanner("Connection lost. Reconnecting… Changes from other devices will show up when it is back."), BANNER_DELAY_MS);
}
function showLiveStatus(status) {
  if (status === "connecting") return;
  liveUp = status === "live";
  if (liveUp) networkUp = true;
  refreshBanner();
}

apiEvents.addEventListener("network", (event) => {
  if (event.detail === networkUp) return;
  networkUp = event.detail;
  refreshBanner();
});
apiEvents.addEventListener("signedout", () => navigate("#/signin", "Your session has ended. Please sign in again."));
// Another tab signed in or out: a different user here would be wrong, so start over.
apiEvents.addEventListener("sessionchange", () => {
  const user = currentUser();
  if (!user) return navigate("#/signin", "You signed out in another tab.");
  if (user.id !== shownUserId) location.reload();
});

addEventListener("hashchange", () => void route());
// "#main" would be read as a route: the skip link moves focus itself and leaves the URL alone.
document.querySelector(".skip-link").addEventListener("click", (event) => {
  event.preventDefault();
  document.getElementById("main").focus();
});
await reloadSession();
void registerServiceWorker();
await route();
