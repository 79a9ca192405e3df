// Browser tests against a real taskjet: `taskjet start` as an operator runs it (its own
// nats-server, SQLite, every role) and Debian's Chromium driven by playwright-core. Nothing is
// downloaded: Playwright's own browsers are never used. Browser-side code is passed as strings,
// since the project's TypeScript has no DOM types.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { tempDir } from "./context.ts";
import { freePort } from "./nats-server.ts";
import { waitFor } from "./wait.ts";

export const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export interface RunningTaskjet {
  url: string;
  dataDir: string;
  output(): string;
  stop(): Promise<void>;
}

/** `node bin/taskjet.js start` (the compiled CLI: `npm test` builds dist/ first) on a free port. */
export async function startTaskjet(env: Record<string, string> = {}): Promise<RunningTaskjet> {
  const dataDir = tempDir("taskjet-browser-");
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, ["bin/taskjet.js", "start"], {
    // No SMTP_URL: reminders go by push only. PUBLIC_URL makes the links in pushes point here.
    env: { PATH: process.env.PATH ?? "", DATA_DIR: dataDir, PORT: String(port), HOST: "127.0.0.1", PUBLIC_URL: url, LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    await waitFor(
      () => (child.exitCode !== null ? "exited" : fetch(`${url}/health`).then((r) => (r.ok ? "up" : "down"), () => "down")),
      (state) => state !== "down",
      { timeoutMs: 15_000, intervalMs: 50 },
    ).then((state) => {
      if (state === "exited") throw new Error(`taskjet exited at start:\n${output}`);
    });
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
  return {
    url,
    dataDir,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(killer);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Debian's Chromium, headless, in a fresh temporary profile (Playwright makes one per launch). */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** A context as a person in Berlin on a laptop would have it; console errors fail loudly. */
export async function newAppContext(browser: Browser, opts: { viewport?: { width: number; height: number } } = {}): Promise<BrowserContext> {
  return browser.newContext({ timezoneId: "Europe/Berlin", locale: "en-GB", viewport: opts.viewport ?? { width: 900, height: 1000 } });
}

/** Records uncaught page errors, so a test can assert that the app never threw. */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(err.message));
  return errors;
}

export const PASSWORD = "correct horse battery staple";

export function uniqueEmail(prefix = "browser"): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

/** Signs up through the page's form; ends on the task list. */
export async function signUp(page: Page, baseUrl: string, email = uniqueEmail()): Promise<string> {
  await page.goto(`${baseUrl}/#/signup`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("heading", { level: 1, name: "Tasks" }).waitFor();
  return email;
}

export async function signIn(page: Page, baseUrl: string, email: string): Promise<void> {
  await page.goto(`${baseUrl}/#/signin`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { level: 1, name: "Tasks" }).waitFor();
}

/** The access token the page keeps (in IndexedDB, where the service worker reads it too). */
export async function accessTokenOf(page: Page): Promise<string> {
  const token = await page.evaluate("self.taskjetSession.get().then((s) => s && s.access_token)");
  if (typeof token !== "string") throw new Error("the page has no session");
  return token;
}

/** Calls the API as the page's user. */
export async function apiAs<T>(page: Page, baseUrl: string, method: string, apiPath: string, body?: unknown): Promise<T> {
  const response = await fetch(`${baseUrl}/api/v1${apiPath}`, {
    method,
    headers: { authorization: `Bearer ${await accessTokenOf(page)}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${apiPath} answered ${response.status}: ${await response.text()}`);
  return (response.status === 204 ? null : await response.json()) as T;
}

/** With UPDATE_SCREENSHOTS=1, saves docs/screenshot-<name>.png (CI leaves the committed ones alone). */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.UPDATE_SCREENSHOTS !== "1") return;
  mkdirSync("docs", { recursive: true });
  await page.screenshot({ path: path.join("docs", `screenshot-${name}.png`), fullPage: true, animations: "disabled" });
}

/**
 * Hand-written axe-style checks on the page as it is now; returns the problems found (none = []).
 * Visible form controls have a label, buttons and links a name, there is one h1 and heading levels
 * never skip, ids are unique, no positive tabindex reorders focus, and nothing scrolls sideways.
 */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  return page.evaluate(`(() => {
    const problems = [];
    const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
    const describe = (el) => el.outerHTML.slice(0, 120);
    const text = (id) => { const el = document.getElementById(id); return el ? el.textContent.trim() : ""; };
    const labelOf = (el) =>
      (el.getAttribute("aria-label") || "").trim() ||
      (el.getAttribute("aria-labelledby") || "").split(/\\s+/).filter(Boolean).map(text).join(" ").trim() ||
      [...(el.labels || [])].map((l) => l.textContent.trim()).join(" ").trim() ||
      (el.getAttribute("title") || "").trim();
    for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
      if (visible(el) && !labelOf(el)) problems.push("control without a label: " + describe(el));
    }
    for (const el of document.querySelectorAll("button, a[href], [role=button]")) {
      if (visible(el) && !labelOf(el) && !el.textContent.trim()) problems.push("button or link without a name: " + describe(el));
    }
    const headings = [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")].filter(visible).map((h) => Number(h.tagName[1]));
    if (headings.filter((l) => l === 1).length !== 1) problems.push("expected exactly one h1, found " + headings.filter((l) => l === 1).length);
    headings.forEach((level, i) => { if (i > 0 && level > headings[i - 1] + 1) problems.push("heading level skips from h" + headings[i - 1] + " to h" + level); });
    const ids = [...document.querySelectorAll("[id]")].map((el) => el.id);
    for (const id of new Set(ids.filter((id, i) => ids.indexOf(id) !== i))) problems.push("duplicate id: " + id);
    for (const el of document.querySelectorAll("[tabindex]")) if (Number(el.getAttribute("tabindex")) > 0) problems.push("positive tabindex: " + describe(el));
    for (const el of document.querySelectorAll("[aria-describedby]")) {
      for (const id of el.getAttribute("aria-describedby").split(/\\s+/)) if (id && !document.getElementById(id)) problems.push("aria-describedby points at a missing id " + id);
    }
    for (const el of document.querySelectorAll("img")) if (!el.hasAttribute("alt")) problems.push("img without alt: " + describe(el));
    if (!document.documentElement.lang) problems.push("html has no lang");
    if (document.documentElement.scrollWidth > innerWidth + 1) problems.push("the page scrolls sideways: " + document.documentElement.scrollWidth + "px in " + innerWidth + "px");
    return problems;
  })()`);
}

/** A running taskjet and Chromium for one test file, and the contexts it opened (closed after all). */
export interface BrowserSuite {
  taskjet: RunningTaskjet;
  browser: Browser;
  contexts: BrowserContext[];
}

/**
 * Starts taskjet and Chromium side by side. When one fails to start, the other is stopped before
 * the error is thrown: the caller never got it, so its afterAll could not stop it.
 */
export async function startTaskjetAndChromium(env: Record<string, string> = {}): Promise<[RunningTaskjet, Browser]> {
  const [taskjet, browser] = await Promise.allSettled([startTaskjet(env), launchChromium()]);
  if (taskjet.status === "fulfilled" && browser.status === "fulfilled") return [taskjet.value, browser.value];
  if (taskjet.status === "fulfilled") await taskjet.value.stop();
  if (browser.status === "fulfilled") await browser.value.close();
  throw taskjet.status === "rejected" ? taskjet.reason : (browser as PromiseRejectedResult).reason;
}

/** Starts taskjet and Chromium before the file's tests and closes them (and `contexts`) after. */
export function useBrowserSuite(): BrowserSuite {
  const suite = { contexts: [] } as unknown as BrowserSuite;
  beforeAll(async () => {
    [suite.taskjet, suite.browser] = await startTaskjetAndChromium();
  });
  afterAll(async () => {
    for (const context of suite.contexts) await context.close();
    await suite.browser?.close();
    await suite.taskjet?.stop();
  });
  return suite;
}
