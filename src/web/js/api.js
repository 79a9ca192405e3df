// Talking to the taskjet API from the page: the bearer token of the stored session, one refresh
// and retry when the server says the token expired, and the error envelope turned into an
// ApiError that names its field (`details.field`) so forms can show it where it belongs.
const store = globalThis.taskjetSession;

/** Fires "signedout" (the session ended, here or in another tab) and "network" ({detail: ok}). */
export const apiEvents = new EventTarget();

/** An error answer of the API, or status 0 when the server could not be reached. */
export class ApiError extends Error {
  constructor(status, body) {
    const error = body && body.error;
    super(error ? error.message : status === 0 ? "The server cannot be reached. Check your connection and try again." : `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.code = error ? error.code : status === 0 ? "NETWORK" : "HTTP";
    this.details = (error && error.details) || null;
    /** The request field this error is about, e.g. "title" or "reminders.0.at"; null if none. */
    this.field = (this.details && this.details.field) || null;
  }
}

let session = null;
// Sign-in and sign-out in one tab reach the others, which would otherwise act as the wrong user.
const channel = "BroadcastChannel" in globalThis ? new BroadcastChannel("taskjet-session") : null;
if (channel) channel.onmessage = () => reloadSession().then(() => apiEvents.dispatchEvent(new Event("sessionchange")));

export async function reloadSession() {
  session = await store.get();
  return session;
}

export const currentUser = () => (session ? session.user : null);

/** A valid access token for the WebSocket; refreshed when it is about to expire. Null when signed out. */
export async function accessToken() {
  session = await store.fresh();
  return session ? session.access_token : null;
}

/** After the server refused `token`: a new one, or null (and "signedout") when the login is over. */
export async function renewToken(token) {
  session = await store.refresh(token);
  if (!session) signedOut();
  return session ? session.access_token : null;
}

function signedOut() {
  session = null;
  apiEvents.dispatchEvent(new Event("signedout"));
}

async function send(method, path, token, body, headers) {
  const init = { method, headers: { accept: "application/json", ...headers } };
  if (token) init.headers.authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(`/api/v1${path}`, init);
  } catch {
    apiEvents.dispatchEvent(new CustomEvent("network", { detail: false }));
    throw new ApiError(0, null);
  }
  apiEvents.dispatchEvent(new CustomEvent("network", { detail: true }));
  return response;
}

/**
 * `api("GET", "/users/me/tasks", {query: {status: "pending"}})` → the parsed JSON (null for 204).
 * Throws ApiError for every non-2xx answer.
 */
export async function api(method, path, { body, query, headers } = {}) {
  const search = query ? toSearch(query) : "";
  const url = `${path}${search}`;
  let token = session ? session.access_token : null;
  if (session && session.expires_at - 60_000 < Date.now()) token = await accessToken().catch(() => token);
  let response = await send(method, url, token, body, headers);
  if (response.status === 401 && token) {
    const renewed = await renewToken(token).catch(() => null);
    if (renewed) response = await send(method, url, renewed, body, headers);
  }
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) throw new ApiError(response.status, json);
  return json;
}

/** Skips empty values; arrays repeat the key (`tag=a&tag=b`). */
export function toSearch(query) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    for (const item of [value].flat()) if (item !== undefined && item !== null && item !== "" && item !== false) params.append(key, String(item));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** Registers or logs in; `kind` is "register" or "login". */
export async function signIn(kind, credentials) {
  const body = await api("POST", `/auth/${kind}`, { body: credentials });
  const next = store.fromResponse(body);
  await store.put(next);
  session = next;
  if (channel) channel.postMessage("changed");
  return next.user;
}

/** Ends the login on the server (best effort: offline, it still ends here). */
export async function signOut() {
  const current = await store.get();
  if (current) await api("POST", "/auth/logout", { body: { refresh_token: current.refresh_token } }).catch(() => null);
  await store.clear();
  if (channel) channel.postMessage("changed");
  signedOut();
}
