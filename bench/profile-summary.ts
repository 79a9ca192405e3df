// `npx tsx bench/profile-summary.ts FILE.cpuprofile [N]`: where a taskjet process spent its CPU —
// self time by function and by package/file, from a V8 profile written by `npm run bench -- --profile`.
import { readFileSync } from "node:fs";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

const [file, topText] = process.argv.slice(2).filter((a, i, all) => !a.startsWith("--") && all[i - 1] !== "--callers");
if (!file) throw new Error("usage: profile-summary.ts FILE.cpuprofile [N]");
const top = Number(topText ?? 25);
const profile = JSON.parse(readFileSync(file, "utf8")) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };

const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, profile.timeDeltas[i] ?? 0)));
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

/** node_modules/<pkg> or the repo path: where the code lives. */
function owner(url: string): string {
  if (!url) return "(native / idle)";
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  const repo = /\/(dist|src)\/(.+)$/.exec(url);
  return repo ? `${repo[1]}/${repo[2]}` : url.replace(/^file:\/\//, "").replace(/^node:/, "node:");
}

const byFunction = new Map<string, number>();
const byOwner = new Map<string, number>();
for (const node of profile.nodes) {
  const us = selfUs.get(node.id) ?? 0;
  if (us === 0) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const name = `${functionName || "(anonymous)"} ${owner(url)}:${lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  byOwner.set(owner(url), (byOwner.get(owner(url)) ?? 0) + us);
}

const print = (title: string, map: Map<string, number>) => {
  process.stdout.write(`\n${title}\n`);
  for (const [name, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${((100 * us) / total).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}\n`);
  }
};
process.stdout.write(`${file}: ${(total / 1e6).toFixed(1)} s sampled\n`);
print("self time by package / file", byOwner);
print("self time by function", byFunction);

// `--callers TEXT [--all-frames]`: the call paths (heaviest first) that end in functions whose name or file contains TEXT.
const callersOf = process.argv.indexOf("--callers");
if (callersOf > 0) {
  const needle = process.argv[callersOf + 1]!;
  const allFrames = process.argv.includes("--all-frames");
  const parent = new Map<number, Node>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n);
  const paths = new Map<string, number>();
  for (const n of profile.nodes) {
    const us = selfUs.get(n.id) ?? 0;
    const label = `${n.callFrame.functionName} ${owner(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
    if (us === 0 || !label.includes(needle)) continue;
    const chain: string[] = [];
    // Library frames are skipped: the question is which of our call sites pays.
    for (let p = parent.get(n.id); p && chain.length < 4; p = parent.get(p.id)) {
      if (p.callFrame.functionName === "(root)") break;
      if (!allFrames && (!/\/(dist|src)\//.test(p.callFrame.url) || p.callFrame.url.includes("node_modules"))) continue;
      chain.push(`${p.callFrame.functionName || "(anon)"} ${owner(p.callFrame.url)}:${p.callFrame.lineNumber + 1}`);
    }
    const key = `${label}\n      ← ${chain.join("\n      ← ")}`;
    paths.set(key, (paths.get(key) ?? 0) + us);
  }
  process.stdout.write(`\ncallers of "${needle}"\n`);
  for (const [key, us] of [...paths].sort((a, b) => b[1] - a[1]).slice(0, 12)) process.stdout.write(`${(us / 1000).toFixed(0).padStart(7)} ms  ${key}\n`);
}
