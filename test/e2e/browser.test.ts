// The browser app as a person uses it, in Debian's Chromium against `taskjet start`: sign up,
// a weekly task with a reminder, completing it rolls the series forward, API errors land next
// to their field, and every page passes hand-written accessibility checks.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { accessibilityProblems, apiAs, newAppContext, pageErrors, screenshot, signUp, useBrowserSuite } from "../helpers/browser.ts";

const suite = useBrowserSuite();

async function newPage(viewport?: { width: number; height: number }): Promise<Page> {
  const context = await newAppContext(suite.browser, { viewport });
  suite.contexts.push(context);
  return context.newPage();
}

/** "YYYY-MM-DD" of the first Monday at least a week ahead (UTC calendar; the test only needs a Monday). */
function nextMonday(): string {
  const day = new Date(Date.now() + 7 * 86_400_000);
  while (day.getUTCDay() !== 1) day.setUTCDate(day.getUTCDate() + 1);
  return day.toISOString().slice(0, 10);
}

/** 09:00 in Berlin on `date`, as the API stores it. */
function berlinNine(date: string): string {
  const probe = new Date(`${date}T09:00:00Z`);
  const berlin = new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Berlin", hour: "2-digit", hourCycle: "h23" }).format(probe);
  return new Date(probe.getTime() - (Number(berlin) - 9) * 3_600_000).toISOString();
}

const rowsTitled = (page: Page, title: string) => page.locator("ul.tasks > li").filter({ has: page.getByRole("link", { name: title, exact: true }) });

describe("the browser app", () => {
  it("signs up, creates a weekly task with a reminder, lists it, and completing it shows the next occurrence", async () => {
    const page = await newPage();
    const errors = pageErrors(page);
    await signUp(page, suite.taskjet.url);

    await page.getByRole("link", { name: "New task" }).first().click();
    await page.getByRole("heading", { level: 1, name: "New task" }).waitFor();
    const monday = nextMonday();
    await page.getByLabel("Title").fill("Water the plants");
    await page.getByLabel("Description").fill("The ferns need more than the cactus.");
    await page.getByLabel("Tags").fill("home, plants");
    await page.getByLabel("Due date", { exact: true }).fill(monday);
    await page.getByLabel("Due time", { exact: true }).fill("09:00");
    // The zone is detected from the browser (the context runs in Berlin).
    expect(await page.getByLabel("Time zone", { exact: true }).inputValue()).toBe("Europe/Berlin");
    await page.getByLabel("15 min before").check();
    await page.getByLabel("Repeats").selectOption("weekly");
    await page.getByRole("checkbox", { name: "Wednesday" }).check();
    expect(await page.locator(".summary").textContent()).toBe("Every week on Mon and Wed");
    await screenshot(page, "form");
    await page.getByRole("button", { name: "Create task" }).click();

    // Saved: the task page shows the next five dates from the API's ?preview=5.
    await page.getByRole("heading", { level: 1, name: "Edit task" }).waitFor();
    const preview = page.locator(".preview li time");
    await preview.nth(4).waitFor();
    expect(await preview.count()).toBe(5);
    const previewed = await preview.evaluateAll((els) => els.map((el) => el.getAttribute("datetime")));
    const wednesday = new Date(Date.parse(`${monday}T00:00:00Z`) + 2 * 86_400_000).toISOString().slice(0, 10);
    expect(new Date(previewed[0]!).toISOString()).toBe(berlinNine(wednesday));

    const taskId = decodeURIComponent(page.url().split("#/tasks/")[1]!);
    const task = await apiAs<{ due_at: string; timezone: string; recurrence: { rrule: string }; reminders: Array<{ offset_minutes: number }>; tags: string[] }>(page, suite.taskjet.url, "GET", `/users/me/tasks/${taskId}`);
    expect(task).toMatchObject({ due_at: berlinNine(monday), timezone: "Europe/Berlin", tags: ["home", "plants"], reminders: [{ offset_minutes: -15 }] });
    expect(task.recurrence.rrule).toBe("FREQ=WEEKLY;BYDAY=MO,WE");

    // A few more tasks, so the list (and its screenshot) shows what rows can say.
    await apiAs(page, suite.taskjet.url, "POST", "/users/me/tasks", { title: "Pay the rent", priority: "high", tags: ["money"], due_at: berlinNine(monday), timezone: "Europe/Berlin", recurrence: { pattern: "monthly", day_of_month: -1 } });
    await apiAs(page, suite.taskjet.url, "POST", "/users/me/tasks", { title: "Renew the passport", priority: "urgent", due_at: new Date(Date.now() - 86_400_000).toISOString(), timezone: "Europe/Berlin" });
    await page.getByRole("link", { name: "Tasks", exact: true }).click();
    const row = rowsTitled(page, "Water the plants");
    await row.waitFor();
    expect(await row.locator(".repeat").textContent()).toBe("Every week on Mon and Wed");
    expect(await rowsTitled(page, "Pay the rent").locator(".repeat").textContent()).toBe("Every month on the last day");
    expect(await rowsTitled(page, "Renew the passport").locator(".badge.overdue").count()).toBe(1);
    await screenshot(page, "list");

    // Completing it: the recurring worker makes Wednesday's occurrence, and live sync brings it here.
    await page.getByRole("checkbox", { name: "Done: Water the plants" }).check();
    const next = page.locator(`ul.tasks > li:not([data-id="${taskId}"])`).filter({ has: page.getByRole("link", { name: "Water the plants", exact: true }) });
    await next.waitFor({ timeout: 10_000 });
    expect(await next.locator("time").getAttribute("datetime")).toBe(berlinNine(wednesday));
    await page.locator(`li[data-id="${taskId}"]`).waitFor({ state: "detached" });

    // And the completed one is under the "Completed" filter.
    await page.getByLabel("Status").selectOption("completed");
    await page.locator(`li[data-id="${taskId}"]`).waitFor();
    expect(await page.getByRole("checkbox", { name: "Done: Water the plants" }).isChecked()).toBe(true);
    expect(page.url()).toContain("status=completed");
    expect(errors).toEqual([]);
  });

  it("edits only what changed (a rule the form cannot show is kept), then completes, reopens and deletes", async () => {
    const page = await newPage();
    await signUp(page, suite.taskjet.url);
    const task = await apiAs<{ id: string }>(page, suite.taskjet.url, "POST", "/users/me/tasks", {
      title: "Book club",
      due_at: "2031-01-14T18:00:00Z",
      timezone: "Europe/Berlin",
      recurrence: { rrule: "FREQ=MONTHLY;BYDAY=2TU" },
    });
    await page.goto(`${suite.taskjet.url}/#/tasks/${task.id}`);
    await page.getByRole("heading", { level: 1, name: "Edit task" }).waitFor();
    expect(await page.getByLabel("Repeats").inputValue()).toBe("custom");

    await page.getByLabel("Title").fill("Book club (bring snacks)");
    const patch = page.waitForRequest((r) => r.method() === "PATCH" && r.url().endsWith(`/tasks/${task.id}`));
    await page.getByRole("button", { name: "Save changes" }).click();
    expect((await patch).postDataJSON()).toEqual({ title: "Book club (bring snacks)" });
    await page.locator(".flash", { hasText: "Changes saved." }).waitFor();
    const saved = await apiAs<{ title: string; recurrence: { rrule: string } }>(page, suite.taskjet.url, "GET", `/users/me/tasks/${task.id}`);
    expect(saved).toMatchObject({ title: "Book club (bring snacks)", recurrence: { rrule: "FREQ=MONTHLY;BYDAY=2TU" } });

    await page.getByRole("button", { name: "Complete Book club (bring snacks)" }).click();
    await page.locator(".status.completed").waitFor();
    await page.getByRole("button", { name: "Reopen Book club (bring snacks)" }).click();
    await page.locator(".status.pending").waitFor();

    page.once("dialog", (dialog) => void dialog.accept());
    await page.getByRole("button", { name: "Delete Book club (bring snacks)" }).click();
    await page.getByRole("heading", { level: 1, name: "Tasks" }).waitFor();
    expect(await page.locator(".flash").textContent()).toBe("Deleted “Book club (bring snacks)”.");
    // (Completing it made the series' next occurrence, which stays: only this one is gone.)
    await page.locator('ul.tasks[aria-busy="false"]').waitFor({ state: "attached" });
    expect(await page.locator(`li[data-id="${task.id}"]`).count()).toBe(0);
  });

  it("shows the API's validation error next to the title field when the title is empty", async () => {
    const page = await newPage();
    await signUp(page, suite.taskjet.url);
    await page.goto(`${suite.taskjet.url}/#/new`);
    await page.getByLabel("Title").fill("   ");
    await page.getByRole("button", { name: "Create task" }).click();

    const titleField = page.locator('[data-field="title"]');
    const error = titleField.locator(".field-error");
    await error.waitFor();
    expect(await error.textContent()).toBe("Title must not be empty");
    const title = page.getByLabel("Title");
    expect(await title.getAttribute("aria-invalid")).toBe("true");
    expect(await title.getAttribute("aria-describedby")).toContain(await error.getAttribute("id"));
    expect(await title.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    // Nothing else is flagged, and nothing was created.
    expect(await page.locator(".field-error:not([hidden])").count()).toBe(1);
    expect((await apiAs<{ items: unknown[] }>(page, suite.taskjet.url, "GET", "/users/me/tasks")).items).toEqual([]);

    // Fixing it clears the error and saves.
    await title.fill("Buy milk");
    await page.getByRole("button", { name: "Create task" }).click();
    await page.getByRole("heading", { level: 1, name: "Edit task" }).waitFor();
  });

  it("passes the accessibility checks on every page, on a laptop and on a phone", async () => {
    for (const viewport of [{ width: 1200, height: 900 }, { width: 375, height: 740 }]) {
      const page = await newPage(viewport);
      const errors = pageErrors(page);
      await page.goto(`${suite.taskjet.url}/`);
      await page.getByRole("heading", { level: 1, name: "Sign in to taskjet" }).waitFor();
      expect(await accessibilityProblems(page), "sign in").toEqual([]);
      await signUp(page, suite.taskjet.url);
      expect(await accessibilityProblems(page), "task list").toEqual([]);

      const task = await apiAs<{ id: string }>(page, suite.taskjet.url, "POST", "/users/me/tasks", { title: "Check the smoke alarm", due_at: "2031-03-01T10:00:00Z", recurrence: { pattern: "yearly" }, reminders: [{ offset_minutes: 0 }, { at: "2031-02-28T10:00:00Z" }] });
      const pages: Array<[string, string]> = [["#/new", "New task"], [`#/tasks/${task.id}`, "Edit task"], ["#/notifications", "Notifications"], ["#/settings", "Settings"]];
      for (const [hash, heading] of pages) {
        await page.goto(`${suite.taskjet.url}/${hash}`);
        await page.getByRole("heading", { level: 1, name: heading }).waitFor();
        expect(await accessibilityProblems(page), heading).toEqual([]);
      }
      expect(errors).toEqual([]);
    }
  });

  it("works from the keyboard: skip link first, fields in reading order, Enter saves", async () => {
    const page = await newPage();
    await signUp(page, suite.taskjet.url);
    await page.goto(`${suite.taskjet.url}/#/new`);
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "New task" }).waitFor();
    await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement.textContent")).toBe("Skip to content");
    await page.keyboard.press("Enter");
    expect(await page.evaluate("document.activeElement.id")).toBe("main");
    expect(page.url()).toMatch(/#\/new$/);

    await page.getByLabel("Title").focus();
    const order: string[] = [];
    for (let i = 0; i < 3; i++) {
      await page.keyboard.press("Tab");
      order.push(String(await page.evaluate("document.activeElement.name")));
    }
    expect(order).toEqual(["description", "priority", "tags"]);

    await page.getByLabel("Title").fill("Typed, not clicked");
    await page.getByLabel("Title").press("Enter");
    await page.getByRole("heading", { level: 1, name: "Edit task" }).waitFor();
    // The new page's heading has focus, as after a page load.
    expect(await page.evaluate("document.activeElement.tagName")).toBe("H1");
  });
});
