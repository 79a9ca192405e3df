// The browser app (src/web) over HTTP, public like /health: `/` is the page, `/sw.js` the service
// worker (at the root so its scope is the whole app), `/assets/<build>/…` everything else. The
// files are small, so they are read once and kept in memory, gzipped when that saves bytes.
// <build> is a hash of their content: assets are cached for a year, and a new release (or an
// edited file) gets new URLs, while the page and the worker are revalidated on every load.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { Hono, type Context } from "hono";
import type { AppEnv } from "../env.ts";

/** Placeholder in index.html and sw.js, replaced with `/assets/<build>/` when served. */
const BUILD_MARKER = /\/assets\/__BUILD__\//g;
/** Placeholder in index.html for the `<link rel="modulepreload">` of every module. */
const MODULE_PRELOAD_MARKER = "<!-- modulepreload -->";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".webmanifest": "application/manifest+json",
};

/**
 * Only this origin's scripts, styles and connections (same-origin WebSocket included: CSP 3 `'self'`
 * covers ws:/wss: of the same host). No inline script, so injected markup cannot run.
 */
export const WEB_CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

interface WebFile {
  type: string;
  body: Buffer;
  gzip: Buffer | null;
  etag: string;
}

interface WebBundle {
  build: string;
  files: Map<string, WebFile>;
}

/**
 * src/web, wherever this module runs from: src/api/routes (tsx, tests) or dist/api/routes (the
 * published package, which ships src/web next to dist/ through package.json "files").
 */
export function webRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, "../../web"), path.resolve(here, "../../../src/web")];
  const found = candidates.find((dir) => existsSync(path.join(dir, "index.html")));
  if (!found) throw new Error(`the browser app is missing: no index.html in ${candidates.join(" or ")}`);
  return found;
}

function listFiles(dir: string, prefix = ""): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(path.join(dir, entry.name), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`],
  );
}

function webFile(name: string, body: Buffer): WebFile {
  const type = CONTENT_TYPES[path.extname(name)] ?? "application/octet-stream";
  const zipped = type.startsWith("image/png") ? null : gzipSync(body, { level: 9 });
  const gzip = zipped && zipped.length < body.length * 0.9 ? zipped : null;
  return { type, body, gzip, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"` };
}

export function loadWebBundle(root: string): WebBundle {
  const raw = new Map<string, Buffer>();
  const hash = createHash("sha256");
  for (const name of listFiles(root).sort()) {
    if (!CONTENT_TYPES[path.extname(name)]) continue;
    const body = readFileSync(path.join(root, name));
    raw.set(name, body);
    hash.update(name).update("\0").update(body);
  }
  const build = hash.digest("hex").slice(0, 12);
  // Every module up front, so the browser fetches them in parallel rather than import by import.
  const preloads = [...raw.keys()]
    .filter((name) => name.startsWith("js/") && name !== "js/session-store.js")
    .map((name) => `<link rel="modulepreload" href="/assets/${build}/${name}">`)
    .join("\n  ");
  const files = new Map<string, WebFile>();
  for (const [name, body] of raw) {
    // Only the two files served at fixed URLs name the build; assets refer to each other relatively.
    let text = name === "index.html" || name === "sw.js" ? body.toString("utf8").replace(BUILD_MARKER, `/assets/${build}/`) : null;
    if (text !== null && name === "index.html") text = text.replace(MODULE_PRELOAD_MARKER, preloads);
    files.set(name, webFile(name, text === null ? body : Buffer.from(text)));
  }
  return { build, files };
}

function send(c: Context<AppEnv>, file: WebFile, cacheControl: string, extra: Record<string, string> = {}): Response {
  const headers: Record<string, string> = {
    "Content-Type": file.type,
    "Cache-Control": cacheControl,
    ETag: file.etag,
    Vary: "Accept-Encoding",
    "X-Content-Type-Options": "nosniff",
    ...extra,
  };
  if (c.req.header("if-none-match") === file.etag) return c.body(null, 304, headers);
  const gzip = file.gzip && /\bgzip\b/.test(c.req.header("accept-encoding") ?? "");
  if (gzip) headers["Content-Encoding"] = "gzip";
  return c.body(new Uint8Array(gzip ? file.gzip! : file.body), 200, headers);
}

/** The page's own headers: it is the document the CSP protects, and it never goes to another site. */
const PAGE_HEADERS = { "Content-Security-Policy": WEB_CONTENT_SECURITY_POLICY, "Referrer-Policy": "no-referrer" };

/** The web app router; `root` defaults to the packaged src/web (tests may point it elsewhere). */
export function makeWebRouter(root?: string) {
  // Loaded on first request, not at import: a role set without `api` never reads these files.
  let bundle: WebBundle | undefined;
  const bundleOf = () => (bundle ??= loadWebBundle(root ?? webRoot()));
  const notFound = (c: Context<AppEnv>) => c.text("not found", 404, { "Cache-Control": "no-cache" });

  return new Hono<AppEnv>()
    .get("/", (c) => send(c, bundleOf().files.get("index.html")!, "no-cache", PAGE_HEADERS))
    .get("/sw.js", (c) => send(c, bundleOf().files.get("sw.js")!, "no-cache", PAGE_HEADERS))
    .get("/assets/:build/*", (c) => {
      const { build, files } = bundleOf();
      const name = decodeURIComponent(c.req.path.slice(`/assets/${c.req.param("build")}/`.length));
      const file = name === "index.html" || name === "sw.js" ? undefined : files.get(name);
      if (!file) return notFound(c);
      // An older page may still ask for its build's URLs: answer with today's file, but do not let
      // it be cached under the old URL for a year.
      return send(c, file, c.req.param("build") === build ? "public, max-age=31536000, immutable" : "no-cache");
    });
}

export const web = makeWebRouter();
