// Live sync over /ws: every task event of the user, from any tab or device. After a drop the
// socket comes back with `since=<last seq>`, so the server replays what was missed before going
// live again. Views subscribe and re-fetch; a lost connection only shows the banner.
import { accessToken, renewToken } from "./api.js";

/** Reconnect delays grow to this, with jitter so a restarted server is not hit by every tab at once. */
const MAX_RETRY_MS = 15_000;

/**
 * `onStatus("connecting" | "live" | "offline")`. Subscribers get each event envelope (`{seq,
 * event_type, data: task, …}`), or null when they should reload everything (first connection,
 * or the server's `reset`: the resume point fell out of the stream).
 */
export function startLive({ onStatus }) {
  const subscribers = new Set();
  let socket = null;
  let lastSeq = null;
  let attempt = 0;
  let retryTimer;
  let stopped = false;

  const notify = (event) => {
    for (const subscriber of subscribers) subscriber(event);
  };

  async function connect() {
    clearTimeout(retryTimer);
    if (stopped || (socket && socket.readyState <= WebSocket.OPEN)) return;
    onStatus("connecting");
    let token;
    try {
      token = await accessToken();
    } catch {
      return retry();
    }
    if (!token || stopped) return;
    const url = new URL("/ws", location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    // Browsers cannot set headers on a WebSocket; the server takes the token from the URL and
    // strips it before anything logs the URL.
    url.searchParams.set("token", token);
    if (lastSeq !== null) url.searchParams.set("since", String(lastSeq));
    const ws = (socket = new WebSocket(url));
    ws.onmessage = (message) => {
      let data;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      if (data.type === "ready") {
        const fresh = lastSeq === null;
        lastSeq = data.seq;
        attempt = 0;
        onStatus("live");
        // Without a resume point, whatever happened before this socket is only in the REST API.
        if (fresh) notify(null);
      } else if (data.type === "reset") {
        lastSeq = data.last_seq;
        notify(null);
      } else if (typeof data.seq === "number" && data.event_type) {
        lastSeq = data.seq;
        notify(data);
      }
    };
    ws.onclose = async (event) => {
      if (socket === ws) socket = null;
      if (stopped) return;
      onStatus("offline");
      // 1008: the token was refused or expired. A refreshed one may do; none means signed out.
      if (event.code === 1008) {
        const renewed = await renewToken(token).catch(() => undefined);
        if (renewed === null) return;
      }
      retry();
    };
  }

  function retry() {
    if (stopped) return;
    const delay = Math.min(MAX_RETRY_MS, 500 * 2 ** attempt++) * (0.75 + Math.random() * 0.5);
    retryTimer = setTimeout(connect, delay);
  }

  // Coming back online or to the tab is a good moment to try at once instead of waiting out a delay.
  const now = () => {
    if (!socket) {
      attempt = 0;
      void connect();
    }
  };
  const onVisible = () => document.visibilityState === "visible" && now();
  addEventListener("online", now);
  document.addEventListener("visibilitychange", onVisible);
  void connect();

  return {
    /** `listener(event | null)`; returns the unsubscribe function. */
    subscribe(listener) {
      subscribers.add(listener);
      return () => subscribers.delete(listener);
    },
    stop() {
      stopped = true;
      clearTimeout(retryTimer);
      removeEventListener("online", now);
      document.removeEventListener("visibilitychange", onVisible);
      if (socket) socket.close(1000, "signed out");
    },
  };
}
