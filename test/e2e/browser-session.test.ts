// How the browser app is served (public, cached right, small) and how it keeps a session: a
// refused access token is traded for a new one through the refresh token, once, for every tab
// part that noticed (the REST calls and the WebSocket), and the page carries on.

import { describe, expect, it } from "vitest";
import { apiAs, newAppContext, pageErrors, signUp, useBrowserSuite } from "../helpers/browser.ts";

const suite = useBrowserSuite();

describe("serving the browser app", () => {
  it("serves the page, the worker and versioned assets without auth, with content types, caching and a CSP", async () => {
    const page = await fetch(`${suite.taskjet.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("cache-control")).toBe("no-cache");
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await page.text();
    const assets = [...html.matchAll(/"(\/assets\/[0-9a-f]{12}\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.endsWith("/js/main.js"))).toBe(true);

    const script = await fetch(`${suite.taskjet.url}${assets.find((a) => a.endsWith("/js/main.js"))}`, { headers: { "accept-encoding": "gzip" } });
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(script.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(script.headers.get("content-encoding")).toBe("gzip");
    const etag = script.headers.get("etag")!;
    expect((await fetch(script.url, { headers: { "if-none-match": etag } })).status).toBe(304);

    const worker = await fetch(`${suite.taskjet.url}/sw.js`);
    expect(worker.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(worker.headers.get("cache-control")).toBe("no-cache");
    expect(await worker.text()).toMatch(/importScripts\("\/assets\/[0-9a-f]{12}\/js\/session-store\.js"\)/);

    expect((await fetch(`${suite.taskjet.url}/assets/0/js/nope.js`)).status).toBe(404);
    expect((await fetch(`${suite.taskjet.url}/assets/0/..%2F..%2Fpackage.json`)).status).toBe(404);
    // The app shadows nothing: the API still wants a token, the service routes still answer.
    expect((await fetch(`${suite.taskjet.url}/api/v1/users/me/tasks`)).status).toBe(401);
    expect((await fetch(`${suite.taskjet.url}/health`)).status).toBe(200);
    expect((await fetch(`${suite.taskjet.url}/openapi.json`)).headers.get("content-type")).toContain("application/json");
  });

  it("loads under 100 KB of JavaScript, counted as the browser downloads it uncompressed", async () => {
    const context = await newAppContext(suite.browser);
    suite.contexts.push(context);
    const page = await context.newPage();
    const scripts = new Map<string, number>();
    page.on("response", async (response) => {
      if (response.request().resourceType() === "script") scripts.set(response.url(), (await response.body()).length);
    });
    await signUp(page, suite.taskjet.url);
    await page.goto(`${suite.taskjet.url}/#/new`);
    await page.getByRole("heading", { level: 1, name: "New task" }).waitFor();
    const sw = await (await fetch(`${suite.taskjet.url}/sw.js`)).arrayBuffer();
    const total = [...scripts.values()].reduce((a, b) => a + b, 0) + sw.byteLength;
    expect(scripts.size).toBeGreaterThan(5);
    expect(total).toBeLessThan(100 * 1024);
  });
});

describe("the session in the browser app", () => {
  it("refreshes a refused access token once and carries on, live updates included", async () => {
    const context = await newAppContext(suite.browser);
    suite.contexts.push(context);
    const page = await context.newPage();
    const errors = pageErrors(page);
    await signUp(page, suite.taskjet.url);
    const before = (await page.evaluate("self.taskjetSession.get()")) as { access_token: string; refresh_token: string };
    // As if the token had expired early (a restarted server with a new secret does the same).
    await page.evaluate("self.taskjetSession.get().then((s) => self.taskjetSession.put({ ...s, access_token: 'stale.access.token' }))");
    const refreshes: number[] = [];
    page.on("request", (request) => request.url().endsWith("/api/v1/auth/refresh") && refreshes.push(Date.now()));

    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Tasks" }).waitFor();
    await page.locator('ul.tasks[aria-busy="false"]').waitFor({ state: "attached" });
    const after = (await page.evaluate("self.taskjetSession.get()")) as { access_token: string; refresh_token: string };
    expect(after.access_token).not.toBe("stale.access.token");
    expect(after.refresh_token).not.toBe(before.refresh_token);

    // The socket reconnects with the new token: a task made elsewhere shows up here.
    await apiAs(page, suite.taskjet.url, "POST", "/users/me/tasks", { title: "Made after the refresh" });
    await page.getByRole("link", { name: "Made after the refresh" }).waitFor({ timeout: 10_000 });
    // One refresh for the list request and the socket together: a second would reuse the old
    // refresh token, and the server would end the whole login.
    expect(refreshes).toHaveLength(1);
    expect(await page.getByRole("heading", { level: 1, name: "Tasks" }).isVisible()).toBe(true);
    expect(errors).toEqual([]);
  });
});
