// `npm run bench:watch`: the warm case. How long from `git commit` until the live pointer names the
// commit when `wspub watch` runs, against `rclone sync --checksum --fast-list` of the same change
// (a cold command: rclone has no service that follows git), every S3 request of both going through
// a proxy that delays it (--latency, default 20 ms: a real region's first-byte latency).
//
// A generated workspace (bench/workspace.ts, --files tracked files + an ignored node_modules/),
// published once beforehand by both tools without delay. Each round edits one file and commits;
// wspub watch (started once, file-system events) publishes it, and the time until the pointer in
// SeaweedFS (read directly, not through the proxy, every 5 ms) names the commit is the sample. Then
// the peer's tree gets the same edit and `rclone sync` runs through the proxy: its wall time is the
// sample. Requests through the proxy are counted for both. Needs `npm run build` and .tools/venv.
//
// --soak N instead makes N commits through the watch (no delay, no peer) and samples the watch
// process's RSS every N/20 publishes: does memory stay flat?

import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { onJsonLines } from "../test/harness/json-lines.ts";
import { s3Client } from "../test/harness/seaweed.ts";
import { spawnCollect } from "../test/harness/spawn.ts";
import { makeMirror, updateMirror } from "./mirror.ts";
import { formatOps, startProxy } from "./proxy.ts";
import { cleanEnv, prepareBucket, startServer } from "./server.ts";
import { median, percentile } from "./stats.ts";
import { RCLONE } from "./tools/rclone.ts";
import { checkBuilt, wspubBin } from "./tools/wspub.ts";
import { editFiles, generateWorkspace } from "./workspace.ts";

const { values } = parseArgs({
  options: {
    files: { type: "string", default: "10000" },
    latency: { type: "string", default: "20" },
    rounds: { type: "string", default: "9" },
    soak: { type: "string" },
    concurrency: { type: "string", default: "16" },
    "node-options": { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
  strict: true,
});
if (values.help) {
  console.log(
    "usage: npm run bench:watch -- [--files 10000] [--latency MS (20)] [--rounds 9] [--soak N] [--concurrency 16] " +
      "[--node-options '...' (NODE_OPTIONS of the watch)]",
  );
  process.exit(0);
}
const FILES = Number(values.files);
const LATENCY = Number(values.latency);
const ROUNDS = Number(values.rounds);
const SOAK = values.soak === undefined ? undefined : Number(values.soak);
const N = values.concurrency!;
const BUCKET = "warm";
const log = (s: string) => process.stderr.write(`[bench:watch ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const warning = checkBuilt();
if (warning) log(`warning: ${warning}`);
const scratch = mkdtempSync(join(tmpdir(), "wspub-bench-watch-"));
const server = await startServer();
const cleanups: (() => Promise<void> | void)[] = [
  () => server.stop(),
  () => rmSync(scratch, { recursive: true, force: true }),
];
const cleanup = async () => {
  for (const c of cleanups.reverse()) await c();
};
process.once("SIGINT", () => void cleanup().finally(() => process.exit(130)));

try {
  await prepareBucket(server, BUCKET);
  const workspaces = join(scratch, "workspaces");
  mkdirSync(workspaces);
  log(`generating a workspace of ${FILES} files`);
  const ws = generateWorkspace({ dir: join(workspaces, "ws"), files: FILES, seed: 1 });
  const creds = { AWS_ACCESS_KEY_ID: server.accessKeyId, AWS_SECRET_ACCESS_KEY: server.secretAccessKey };
  const env = cleanEnv({ ...creds, WSPUB_ACTOR: "bench" });
  const watchEnv = values["node-options"] ? { ...env, NODE_OPTIONS: values["node-options"] } : env;
  const metricsPort = 30000 + (process.pid % 20000);
  log(`generated (${ws.files.length} tracked files); the first publish, without delay`);
  // The first publish, without delay (not measured).
  const push = spawnSync(
    process.execPath,
    [wspubBin(), "push", "--target", `s3://${BUCKET}/wspub`, "--endpoint", server.endpoint, "--concurrency", N],
    { cwd: ws.dir, env, encoding: "utf8" },
  );
  if (push.status !== 0) throw new Error(`first publish failed: ${push.stderr}`);

  log("starting the proxy and wspub watch");
  const proxy = await startProxy(server.endpoint, { delayMs: SOAK === undefined ? LATENCY : 0 });
  cleanups.push(() => proxy.close());
  const watchArgs = [
    wspubBin(),
    "watch",
    workspaces,
    "--json",
    "--target",
    `s3://${BUCKET}/wspub`,
    "--endpoint",
    proxy.endpoint,
    "--concurrency",
    N,
    "--reconcile",
    "3600",
    "--listen",
    `127.0.0.1:${metricsPort}`,
  ];
  const watch = spawn(process.execPath, watchArgs, {
    cwd: scratch,
    env: watchEnv,
    stdio: ["ignore", "pipe", "inherit"],
  });
  cleanups.push(async () => {
    watch.kill("SIGTERM");
    await new Promise((r) => watch.once("exit", r));
  });
  const lines: { event: string; result?: { commit: string; durationMs: number } }[] = [];
  onJsonLines<(typeof lines)[number]>(watch.stdout, (line) => lines.push(line));
  log(`watch started (pid ${watch.pid})`);
  const client = s3Client(server);
  cleanups.push(() => client.destroy());
  const liveCommit = async () => {
    try {
      const out = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: "wspub/.wspub/ws/live.json" }));
      return (JSON.parse(await out.Body!.transformToString()) as { commit: string }).commit;
    } catch {
      return undefined;
    }
  };
  const untilLive = async (commit: string, timeoutMs = 120_000) => {
    const deadline = Date.now() + timeoutMs;
    while ((await liveCommit()) !== commit) {
      if (Date.now() > deadline) throw new Error(`${commit} not live in ${timeoutMs} ms`);
      await sleep(5);
    }
  };
  // The catch-up (a no-op); anything else ends the benchmark with what the watch said.
  for (let waited = 0; !lines.some((l) => l.event === "published"); waited += 20) {
    if (
      watch.exitCode !== null ||
      waited > 60_000 ||
      lines.some((l) => l.event === "failed" || l.event === "skipped")
    ) {
      throw new Error(`wspub watch did not publish: ${JSON.stringify(lines)}`);
    }
    await sleep(20);
  }
  log("caught up");
  proxy.take();

  if (SOAK !== undefined) await soak(SOAK);
  else await warm();

  async function soak(n: number): Promise<void> {
    const memory = async () => {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      const mib = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, "m").exec(text)?.[1] ?? 0) / 1024 ** 2;
      return `${mib("process_resident_memory_bytes").toFixed(0)} | ${mib("nodejs_heap_size_used_bytes").toFixed(1)}`;
    };
    const rows: string[] = ["| publishes | RSS MiB | heap used MiB |", "|--:|--:|--:|", `| 0 | ${await memory()} |`];
    const every = Math.max(1, Math.floor(n / 20));
    const t0 = Date.now();
    for (let i = 1; i <= n; i++) {
      const { head } = editFiles(ws, 1);
      await untilLive(head);
      if (i % every === 0) {
        rows.push(`| ${i} | ${await memory()} |`);
        log(`${i} publishes: RSS | heap ${rows.at(-1)}`);
      }
    }
    const opts = values["node-options"] ? ` NODE_OPTIONS=${values["node-options"]}` : "";
    console.log(
      `wspub watch${opts}: memory over ${n} publishes of a ${FILES}-file workspace ` +
        `(one file changed each; ${((Date.now() - t0) / n).toFixed(0)} ms per commit -> live)\n`,
    );
    console.log(rows.join("\n"));
  }

  async function warm(): Promise<void> {
    const mirror = makeMirror(ws.dir, join(scratch, "tree"));
    const rcloneEnv = cleanEnv({
      RCLONE_CONFIG: "/dev/null",
      RCLONE_CONFIG_BENCH_TYPE: "s3",
      RCLONE_CONFIG_BENCH_PROVIDER: "SeaweedFS",
      RCLONE_CONFIG_BENCH_ENV_AUTH: "false",
      RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: server.accessKeyId,
      RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: server.secretAccessKey,
      RCLONE_CONFIG_BENCH_REGION: server.region,
    });
    // Not spawnSync: the proxy runs in this process, and must go on serving while rclone runs.
    const rclone = (endpoint: string) =>
      spawnCollect(
        RCLONE,
        [
          "sync",
          mirror.dir,
          `bench:${BUCKET}/rclone/ws`,
          "--checksum",
          "--fast-list",
          "--transfers",
          N,
          "--checkers",
          N,
        ],
        { cwd: scratch, env: { ...rcloneEnv, RCLONE_CONFIG_BENCH_ENDPOINT: endpoint } },
      );
    log(`mirror made (${mirror.files} files); rclone's first sync, without delay`);
    const seed = await rclone(server.endpoint);
    if (seed.code !== 0) throw new Error(`rclone's first sync failed (exit ${seed.code}): ${seed.stderr}`);
    const wspubMs: number[] = [];
    const afterRefMs: number[] = [];
    const rcloneMs: number[] = [];
    let wspubOps = "";
    let rcloneOps = "";
    const wspubRequests: number[] = [];
    const rcloneRequests: number[] = [];
    for (let i = 1; i <= ROUNDS; i++) {
      const t0 = performance.now();
      const { head, paths } = editFiles(ws, 1);
      const moved = performance.now(); // git add + git commit are done: the branch has moved
      await untilLive(head);
      wspubMs.push(performance.now() - t0);
      afterRefMs.push(performance.now() - moved);
      await sleep(300); // the watch finishes (journal, lock release) before its requests are taken
      const w = proxy.take();
      wspubRequests.push(w.total);
      wspubOps = formatOps(w);
      updateMirror(ws.dir, mirror, paths);
      const r0 = performance.now();
      const r = await rclone(proxy.endpoint);
      rcloneMs.push(performance.now() - r0);
      if (r.code !== 0) throw new Error(`rclone failed: ${r.stderr}`);
      const rc = proxy.take();
      rcloneRequests.push(rc.total);
      rcloneOps = formatOps(rc);
      log(
        `round ${i}: wspub watch ${wspubMs.at(-1)!.toFixed(0)} ms (${w.total} requests), rclone ${rcloneMs.at(-1)!.toFixed(0)} ms (${rc.total} requests)`,
      );
    }
    const s = (xs: number[]) => `${(median(xs) / 1000).toFixed(3)} s | ${(percentile(xs, 0.95) / 1000).toFixed(3)} s`;
    console.log(
      `commit -> live, ${FILES} tracked files, 1 file changed per round, every request delayed ${LATENCY} ms (${ROUNDS} rounds, medians)\n`,
    );
    console.log("| | p50 | p95 | requests (median) |\n|:--|--:|--:|--:|");
    console.log(
      `| wspub watch (warm): \`git add && git commit\` starts -> pointer | ${s(wspubMs)} | ${median(wspubRequests)} |`,
    );
    console.log(`| wspub watch (warm): \`git commit\` returns -> pointer | ${s(afterRefMs)} | |`);
    console.log(`| rclone sync --checksum --fast-list (cold command) | ${s(rcloneMs)} | ${median(rcloneRequests)} |`);
    console.log(`\nwspub watch is ${(median(rcloneMs) / median(wspubMs)).toFixed(1)}x faster (medians).`);
    console.log(`\nlast round's requests: wspub ${wspubOps}; rclone ${rcloneOps}`);
  }
} finally {
  await cleanup();
}
