// Live sync in the browser app: two browser contexts (two devices) of one user see each other's
// changes without a reload, and a tab whose WebSocket drops shows a banner, then catches up by
// reconnecting with `since` (the connection is cut with Playwright's WebSocket routing).
import type { BrowserContext, Page, WebSocketRoute } from "playwright-core";
import { describe, expect, it } from "vitest";
import { apiAs, newAppContext, pageErrors, signIn, signUp, useBrowserSuite } from "../helpers/browser.ts";

const suite = useBrowserSuite();

async function device(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await newAppContext(suite.browser);
  suite.contexts.push(context);
  return { context, page: await context.newPage() };
}

const row = (page: Page, title: string) => page.locator("ul.tasks > li").filter({ has: page.getByRole("link", { name: title, exact: true }) });

describe("live sync in the browser app", () => {
  it("shows a change made in one browser context in the other without a reload, within a second", async () => {
    const laptop = await device();
    const phone = await device();
    const errors = [...pageErrors(laptop.page), ...pageErrors(phone.page)];
    const email = await signUp(laptop.page, suite.taskjet.url);
    await signIn(phone.page, suite.taskjet.url, email);
    // The phone's list is live once its socket said `ready` (no banner, nothing pending).
    await phone.page.locator('ul.tasks[aria-busy="false"]').waitFor({ state: "attached" });
    const loads = await phone.page.evaluate("performance.getEntriesByType('navigation').length");

    await laptop.page.getByRole("link", { name: "New task" }).first().click();
    await laptop.page.getByLabel("Title").fill("Buy oat milk");
    const created = laptop.page.waitForResponse((r) => r.url().endsWith("/api/v1/users/me/tasks") && r.request().method() === "POST");
    await laptop.page.getByRole("button", { name: "Create task" }).click();
    await created;
    const savedAt = Date.now();
    await row(phone.page, "Buy oat milk").waitFor({ timeout: 5_000 });
    const lagMs = Date.now() - savedAt;
    expect(lagMs).toBeLessThan(1_000);

    // The other way round: completing on the phone empties the laptop's open list.
    await laptop.page.getByRole("link", { name: "Tasks", exact: true }).click();
    await row(laptop.page, "Buy oat milk").waitFor();
    await phone.page.getByRole("checkbox", { name: "Done: Buy oat milk" }).check();
    await row(laptop.page, "Buy oat milk").waitFor({ state: "detached", timeout: 5_000 });

    // Same document all along: the phone never reloaded.
    expect(await phone.page.evaluate("performance.getEntriesByType('navigation').length")).toBe(loads);
    expect(errors).toEqual([]);
  });

  it("shows a banner while the connection is down and catches up with `since` when it is back", async () => {
    const laptop = await device();
    const other = await device();
    const sockets: string[] = [];
    let open: WebSocketRoute | undefined;
    let blocked = false;
    // Every /ws of the laptop passes through here: forwarded to taskjet, or refused while blocked.
    await laptop.context.routeWebSocket(/\/ws(\?|$)/, (ws) => {
      sockets.push(ws.url());
      if (blocked) return ws.close({ code: 1013, reason: "test: network down" });
      open = ws;
      ws.connectToServer();
    });
    const email = await signUp(laptop.page, suite.taskjet.url);
    await signIn(other.page, suite.taskjet.url, email);
    await apiAs(other.page, suite.taskjet.url, "POST", "/users/me/tasks", { title: "Before the outage" });
    await row(laptop.page, "Before the outage").waitFor();

    blocked = true;
    await open!.close({ code: 1013, reason: "test: network down" });
    const banner = laptop.page.locator("#banner");
    await banner.waitFor({ state: "visible", timeout: 5_000 });
    expect(await banner.textContent()).toContain("Connection lost");
    // The page itself still works: the list is there, nothing broke.
    expect(await row(laptop.page, "Before the outage").isVisible()).toBe(true);

    await apiAs(other.page, suite.taskjet.url, "POST", "/users/me/tasks", { title: "During the outage" });
    await laptop.page.waitForTimeout(300);
    expect(await row(laptop.page, "During the outage").count()).toBe(0);

    blocked = false;
    const beforeReconnect = sockets.length;
    await row(laptop.page, "During the outage").waitFor({ timeout: 20_000 });
    await banner.waitFor({ state: "hidden" });
    const resumed = new URL(sockets.at(-1)!);
    expect(sockets.length).toBeGreaterThan(beforeReconnect);
    expect(resumed.searchParams.get("since")).toMatch(/^\d+$/);
    expect(new URL(sockets[0]!).searchParams.has("since")).toBe(false);
  });
});
