// The signed-in session ({access_token, refresh_token, expires_at, user}) in IndexedDB, because
// the service worker must act on notifications (Done, Snooze) and has no localStorage. A classic
// script, not a module: the page loads it with <script>, sw.js with importScripts, so both share
// one implementation of the token refresh below. It defines `self.taskjetSession`.
"use strict";
(function (global) {
  const DB_NAME = "taskjet";
  const STORE = "session";
  const KEY = "current";
  /** Refresh this long before the access token expires, so a request never races its expiry. */
  const EARLY_REFRESH_MS = 60_000;

  function openDb() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function inStore(mode, operation) {
    const db = await openDb();
    try {
      return await new Promise((resolve, reject) => {
        const tx = db.transaction(STORE, mode);
        const request = operation(tx.objectStore(STORE));
        tx.oncomplete = () => resolve(request.result);
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error);
      });
    } finally {
      db.close();
    }
  }

  const get = () => inStore("readonly", (store) => store.get(KEY)).then((value) => value ?? null);
  const put = (session) => inStore("readwrite", (store) => store.put(session, KEY));
  const clear = () => inStore("readwrite", (store) => store.delete(KEY));

  /** An API session answer as stored: the expiry becomes an instant. */
  function fromResponse(body) {
    return {
      access_token: body.access_token,
      refresh_token: body.refresh_token,
      expires_at: Date.now() + body.expires_in * 1000,
      user: body.user,
    };
  }

  // Refresh tokens are single use and the server revokes the whole login when one is presented
  // twice, so two tabs (or a tab and the worker) must never refresh at the same time: one Web
  // Lock serialises them, and whoever comes second finds the new tokens already stored.
  function serialised(task) {
    const locks = global.navigator && global.navigator.locks;
    return locks ? locks.request("taskjet-session-refresh", task) : task();
  }

  /**
   * A session whose access token is not `staleToken` (the one that was refused or is expiring):
   * refreshed here or by someone else meanwhile. Null when signed out or the refresh token is
   * no longer valid; throws on a network failure (the session is kept for a later try).
   */
  function refresh(staleToken) {
    return serialised(async () => {
      const current = await get();
      if (!current) return null;
      if (current.access_token !== staleToken) return current;
      const response = await fetch("/api/v1/auth/refresh", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ refresh_token: current.refresh_token }),
      });
      if (response.status === 401) {
        await clear();
        return null;
      }
      if (!response.ok) throw new Error(`token refresh failed with HTTP ${response.status}`);
      const next = fromResponse(await response.json());
      await put(next);
      return next;
    });
  }

  /** The stored session, refreshed first when its access token is about to expire. */
  async function fresh() {
    const current = await get();
    if (!current || current.expires_at - EARLY_REFRESH_MS > Date.now()) return current;
    return refresh(current.access_token);
  }

  global.taskjetSession = { get, put, clear, refresh, fresh, fromResponse };
})(self);
