// `npm run bench -- --latency MS` (or `npm run bench:latency -- --latency MS`): every publisher's
// S3 requests through a proxy that delays each one (a real region's first-byte latency, which
// loopback hides), at 0 ms and at MS ms. For first / 1-file / 50-file / no-op publishes it reports
// the time at MS, the requests, and the sequential round trips: the slope of time against the
// delay, (t(MS) - t(0)) / MS, i.e. how many requests wait for one another, and the same counted
// by the proxy without a clock (a request's round is 1 + the highest round of the responses
// already complete when it arrived: not blurred by a noisy machine's timing).
//
// The same workspaces, tools and tree as `npm run bench` (bench/README.md); both latencies go
// through the same proxy code, so its own overhead cancels out of the slope. Runs alternate
// between the two latencies and rotate the tools.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { makeMirror, updateMirror } from "./mirror.ts";
import { type CountingProxy, startProxy } from "./proxy.ts";
import { detectRssMethod, runCommand } from "./runner.ts";
import { prepareBucket, startServer } from "./server.ts";
import { median } from "./stats.ts";
import { TOOLS } from "./tools/index.ts";
import type { Source, Tool } from "./tools/tool.ts";
import { checkBuilt } from "./tools/wspub.ts";
import { editFiles, generateWorkspace } from "./workspace.ts";

type Case = "first" | "incr1" | "incr50" | "noop";
const CASES: Case[] = ["first", "incr1", "incr50", "noop"];
const TITLE: Record<Case, string> = {
  first: "first publish",
  incr1: "1 file changed",
  incr50: "50 files changed",
  noop: "nothing changed",
};

const { values } = parseArgs({
  options: {
    latency: { type: "string", default: "20" },
    sizes: { type: "string", default: "10000" },
    tools: { type: "string", default: "wspub,rclone-checksum,rclone,s5cmd" },
    cases: { type: "string", default: CASES.join(",") },
    runs: { type: "string", default: "5" },
    "first-runs": { type: "string", default: "2" },
    concurrency: { type: "string", default: "16" },
    "node-modules": { type: "string", default: "20000" },
    out: { type: "string", default: "bench-results" },
    help: { type: "boolean", short: "h", default: false },
  },
  strict: true,
});
if (values.help) {
  console.log(
    "usage: npm run bench -- --latency MS [--sizes 10000] [--tools wspub,rclone-checksum,rclone,s5cmd]\n" +
      "       [--cases first,incr1,incr50,noop] [--runs 5] [--first-runs 2] [--concurrency 16] [--node-modules 20000]",
  );
  process.exit(0);
}
const LATENCY = Number(values.latency);
const SIZES = values.sizes!.split(",").map(Number);
const RUNS = Number(values.runs);
const FIRST_RUNS = Number(values["first-runs"]);
const CONCURRENCY = Number(values.concurrency);
const tools: Tool[] = values.tools!.split(",").map((n) => {
  const t = TOOLS[n];
  if (!t) throw new Error(`unknown tool ${n} (known: ${Object.keys(TOOLS).join(", ")})`);
  return t;
});
const cases = values.cases!.split(",") as Case[];
const log = (s: string) => process.stderr.write(`[bench:latency ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
const BUCKET = "latency";

interface Cell {
  ms: Record<number, number[]>;
  requests: number[];
  rounds: number[];
}
const cells = new Map<string, Cell>();
const cell = (size: number, c: Case, tool: string) => {
  const key = `${size}/${c}/${tool}`;
  let v = cells.get(key);
  if (!v) {
    v = { ms: { 0: [], [LATENCY]: [] }, requests: [], rounds: [] };
    cells.set(key, v);
  }
  return v;
};

const warning = checkBuilt();
if (warning) log(`warning: ${warning}`);
for (const t of tools) {
  const v = t.version(log);
  if ("unavailable" in v) throw new Error(`${t.name}: ${v.unavailable}`);
}
const rss = detectRssMethod(log);
const scratch = mkdtempSync(join(tmpdir(), "wspub-bench-latency-"));
const server = await startServer();
const proxies: Record<number, CountingProxy> = {
  0: await startProxy(server.endpoint, { delayMs: 0 }),
  [LATENCY]: await startProxy(server.endpoint, { delayMs: LATENCY }),
};

async function publish(
  tool: Tool,
  src: Source,
  prefix: string,
  latency: number,
): Promise<{ ms: number; requests: number; rounds: number }> {
  const state = mkdtempSync(join(scratch, "state-"));
  const target = { server, endpoint: proxies[latency]!.endpoint, bucket: BUCKET, prefix };
  const cmd = tool.publish(src, target, { scratch: state, concurrency: CONCURRENCY });
  proxies[latency]!.take();
  const s = await runCommand(rss, cmd.cmd, cmd.args, { cwd: cmd.cwd, env: cmd.env, timeoutMs: 30 * 60_000 });
  const { total: requests, rounds } = proxies[latency]!.take();
  if (s.code !== 0) throw new Error(`${tool.name} failed: ${s.stderr.slice(-2000)}`);
  return { ms: s.wallMs, requests, rounds };
}

try {
  await prepareBucket(server, BUCKET);
  for (const size of SIZES) {
    log(`size ${size}: generating`);
    const ws = generateWorkspace({
      dir: join(scratch, `ws-${size}`),
      files: size,
      seed: 1,
      nodeModules: Number(values["node-modules"]),
    });
    const mirror = makeMirror(ws.dir, join(scratch, `tree-${size}`));
    const src: Source = { repo: ws.dir, tree: mirror.dir, name: `ws-${size}` };
    const live = new Map<string, string>();
    let round = 0;
    // First publishes: fresh prefixes, alternating latencies; the last one becomes the live prefix.
    for (let r = 0; r < FIRST_RUNS * 2; r++) {
      const latency = r % 2 === 0 ? LATENCY : 0;
      for (const tool of rotate(tools, r)) {
        const prefix = `s${size}/${tool.name}/first-${r}`;
        const p = await publish(tool, src, prefix, latency);
        if (cases.includes("first")) record(size, "first", tool, latency, p);
        live.set(tool.name, prefix);
      }
    }
    for (const c of cases.filter((x) => x !== "first")) {
      const count = c === "incr1" ? 1 : c === "incr50" ? 50 : 0;
      for (let r = 0; r < RUNS * 2; r++, round++) {
        const latency = r % 2 === 0 ? LATENCY : 0;
        if (count > 0) updateMirror(ws.dir, mirror, editFiles(ws, count).paths);
        for (const tool of rotate(tools, round))
          record(size, c, tool, latency, await publish(tool, src, live.get(tool.name)!, latency));
      }
    }
  }
  const report = table();
  console.log(report);
  const out = resolve(import.meta.dirname, "..", values.out!);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `latency-${new Date().toISOString().replace(/[:.]/g, "-")}.md`), `${report}\n`);
} finally {
  for (const p of Object.values(proxies)) await p.close();
  await server.stop();
  rmSync(scratch, { recursive: true, force: true });
}

function record(
  size: number,
  c: Case,
  tool: Tool,
  latency: number,
  p: { ms: number; requests: number; rounds: number },
): void {
  const v = cell(size, c, tool.name);
  v.ms[latency]!.push(p.ms);
  if (latency === LATENCY) v.requests.push(p.requests);
  if (latency === LATENCY) v.rounds.push(p.rounds);
  const what = `${p.requests} requests in ${p.rounds} rounds`;
  log(`${size} ${c} ${tool.name} @${latency} ms: ${(p.ms / 1000).toFixed(3)} s, ${what}`);
}

function rotate<T>(xs: readonly T[], r: number): T[] {
  return xs.slice(r % xs.length).concat(xs.slice(0, r % xs.length));
}

function table(): string {
  const lines = [
    `Every S3 request delayed ${LATENCY} ms by a proxy (and 0 ms through the same proxy, for the slope); medians; ` +
      `SeaweedFS on 127.0.0.1, ${cpus().length} cores, concurrency ${CONCURRENCY}. ` +
      `Sequential round trips: the slope (t(${LATENCY} ms) - t(0 ms)) / ${LATENCY} ms, and as the proxy counts them ` +
      "(a request waits for the responses complete when it arrived).",
    "",
    `| files | case | tool | time @${LATENCY} ms | time @0 ms | requests | round trips (slope) | round trips (counted) | vs rclone --checksum @${LATENCY} ms |`,
    "|--:|:--|:--|--:|--:|--:|--:|--:|--:|",
  ];
  for (const size of SIZES) {
    for (const c of cases) {
      const peer = cells.get(`${size}/${c}/rclone-checksum`);
      for (const tool of tools) {
        const v = cells.get(`${size}/${c}/${tool.name}`);
        if (!v) continue;
        const slow = median(v.ms[LATENCY]!);
        const fast = median(v.ms[0]!);
        const ratio =
          peer && tool.name !== "rclone-checksum" ? `${(median(peer.ms[LATENCY]!) / slow).toFixed(1)}x` : "";
        lines.push(
          `| ${size} | ${TITLE[c]} | ${tool.name} | ${(slow / 1000).toFixed(3)} s | ${(fast / 1000).toFixed(3)} s | ` +
            `${median(v.requests)} | ${((slow - fast) / LATENCY).toFixed(1)} | ${median(v.rounds)} | ${ratio} |`,
        );
      }
    }
  }
  return lines.join("\n");
}
