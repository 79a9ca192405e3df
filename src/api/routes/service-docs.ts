// /docs: one self-contained page that fetches /openapi.json and lists every operation with its
// parameters, request body and responses. No CDN, font or image host: some installs have no
// internet, and the API reference must not depend on (or leak visits to) third parties. The CSP
// below enforces that in the browser: only this page's own script and style, and fetches to self.
import { createHash } from "node:crypto";

const STYLE = `
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 980px; padding: 1rem 1.5rem; color: #1d2330; }
h1 small { color: #667; font-weight: normal; font-size: 0.6em; }
details { border: 1px solid #d8dce4; border-radius: 6px; margin: 0.5rem 0; }
summary { cursor: pointer; padding: 0.5rem 0.75rem; font-family: ui-monospace, monospace; }
details > div { padding: 0 0.75rem 0.75rem; }
.m { display: inline-block; min-width: 4.5em; font-weight: bold; }
.get { color: #1a7f37; } .post { color: #0b5cad; } .patch { color: #9a6700; } .put { color: #8250df; } .delete { color: #cf222e; }
.note { color: #667; font-family: system-ui, sans-serif; margin-left: 0.5rem; }
table { border-collapse: collapse; width: 100%; } td, th { text-align: left; padding: 0.2rem 0.5rem; border-bottom: 1px solid #eee; vertical-align: top; }
pre { background: #f6f8fa; padding: 0.5rem; overflow-x: auto; margin: 0.25rem 0; }
`;

// Plain DOM building with textContent: nothing from the spec is ever parsed as HTML.
const SCRIPT = `
const h = (tag, attrs, ...kids) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const kid of kids.flat(Infinity)) if (kid !== null && kid !== undefined) node.append(kid);
  return node;
};
let spec = {};
const refName = (s) => s.$ref.split("/").pop();
const CONSTRAINTS = ["format", "minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems", "pattern", "default"];
function note(s) {
  const bits = CONSTRAINTS.filter((k) => s && s[k] !== undefined).map((k) => k + " " + JSON.stringify(s[k]));
  if (s && s.description) bits.unshift(s.description);
  return bits.length ? "  // " + bits.join(", ") : "";
}
// A schema as TypeScript-like text; each $ref is expanded once per branch, so cycles end.
function typeText(s, depth, seen) {
  if (!s || s === true) return "any";
  if (s.$ref) {
    const name = refName(s);
    const target = (spec.components && spec.components.schemas || {})[name];
    return seen.has(name) || !target ? name : typeText(target, depth, new Set([...seen, name]));
  }
  if ("const" in s) return JSON.stringify(s.const);
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (s.oneOf || s.anyOf) return (s.oneOf || s.anyOf).map((x) => typeText(x, depth, seen)).join(" | ");
  if (s.allOf) return s.allOf.map((x) => typeText(x, depth, seen)).join(" & ");
  const types = [].concat(s.type || (s.properties ? "object" : "any"));
  return types.map((t) => {
    if (t === "array") return "Array<" + typeText(s.items, depth, seen) + ">";
    if (t !== "object") return t;
    const props = Object.entries(s.properties || {});
    if (!props.length) return s.additionalProperties ? "Record<string, " + typeText(s.additionalProperties, depth, seen) + ">" : "object";
    const pad = "  ".repeat(depth + 1), required = new Set(s.required || []);
    const lines = props.map(([k, v]) => pad + k + (required.has(k) ? "" : "?") + ": " + typeText(v, depth + 1, seen) + note(v));
    return "{\\n" + lines.join("\\n") + "\\n" + "  ".repeat(depth) + "}";
  }).join(" | ");
}
const schemaBlocks = (content) =>
  Object.entries(content || {}).map(([type, media]) => [h("div", {}, type), h("pre", {}, typeText(media.schema, 0, new Set()))]);
function parameters(list) {
  if (!list.length) return null;
  const rows = list.map((p) => h("tr", {}, h("td", {}, h("code", {}, p.name)), h("td", {}, p.in), h("td", {}, p.required ? "required" : ""),
    h("td", {}, typeText(p.schema, 0, new Set())), h("td", {}, p.description || note(p.schema).replace("  // ", ""))));
  return [h("h4", {}, "Parameters"), h("table", {}, h("tr", {}, ["name", "in", "", "type", "notes"].map((t) => h("th", {}, t))), rows)];
}
function operation(path, method, item, op) {
  const secured = (op.security || spec.security || []).length > 0;
  const body = op.requestBody ? [h("h4", {}, "Request body" + (op.requestBody.required ? "" : " (optional)")), schemaBlocks(op.requestBody.content)] : null;
  const responses = Object.entries(op.responses || {}).map(([status, r]) =>
    [h("h4", {}, status + " " + (r.description || "")), schemaBlocks(r.content)]);
  return h("details", {},
    h("summary", {}, h("span", { class: "m " + method }, method.toUpperCase()), path, h("span", { class: "note" }, (op.summary || "") + (secured ? "" : " · no auth"))),
    h("div", {}, op.description ? h("p", {}, op.description) : null, parameters([...(item.parameters || []), ...(op.parameters || [])]), body,
      h("h4", {}, "Responses"), responses));
}
async function main() {
  const root = document.getElementById("ops");
  try {
    spec = await (await fetch("/openapi.json")).json();
  } catch (err) {
    root.textContent = "Could not load /openapi.json: " + err;
    return;
  }
  document.getElementById("title").replaceChildren(spec.info.title + " ", h("small", {}, "v" + spec.info.version + " · OpenAPI " + spec.openapi));
  if (spec.info.description) document.getElementById("intro").textContent = spec.info.description;
  const groups = {};
  for (const [path, item] of Object.entries(spec.paths || {}))
    for (const method of ["get", "post", "put", "patch", "delete"])
      if (item[method]) (groups[(item[method].tags || ["other"])[0]] ||= []).push(operation(path, method, item, item[method]));
  root.replaceChildren(...Object.entries(groups).flatMap(([tag, ops]) => [h("h2", {}, tag), ...ops]));
}
main();
`;

const sha256 = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;

/** Lets the browser run exactly this page's script and style, and fetch only from this server. */
export const DOCS_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>taskjet API reference</title>
<style>${STYLE}</style>
</head>
<body>
<h1 id="title">taskjet API reference</h1>
<p>Machine-readable spec: <a href="/openapi.json">/openapi.json</a></p>
<p id="intro"></p>
<main id="ops">Loading /openapi.json…</main>
<noscript>This page needs JavaScript to render; the spec itself is at /openapi.json.</noscript>
<script>${SCRIPT}</script>
</body>
</html>
`;
