// `node --experimental-strip-types bench/mount-latency.ts [options]`: how long after `wspub push`
// starts does a commit show through an rclone mount, with wspub's mount notification and without.
//
// A throw-away SeaweedFS and two `rclone mount`s of the same bucket, both started with the rclone
// command line of docker-compose.rclone.yml (test/harness/rclone.ts): mount A is notified
// (`--mount-rc`), mount B never is and has a short directory cache (--dir-cache-time, default 10s
// instead of the compose file's 5m, so that the run ends). For each commit: wait a random time in
// [0, dir-cache-time) (a commit lands at a random age of B's cache), commit a change to a marker file
// (whose length changes every commit) and another file, start the built CLI (`bin/wspub.js push --json --mount-rc A`) and poll both
// mounts every 20 ms until each reads the marker's new content. Latency = first read of the new
// content - CLI start. Needs `npm run build` and .tools/venv (bash scripts/install-test-deps.sh).

import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, release } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { cleanEnv, createBucket, startSeaweed } from "../test/harness/seaweed.ts";
import { onJsonLines } from "../test/harness/json-lines.ts";
import { rcloneBinary, startMount, type Mount } from "../test/harness/rclone.ts";
import { tempRepo } from "../test/harness/repo.ts";
import { spawnCollect } from "../test/harness/spawn.ts";
import { BIN, exitUnlessMountBenchCan, MountBenchParts, REPO_ROOT } from "./mount-bench.ts";
import { max, median, min, percentile } from "./stats.ts";

const BUCKET = "latency";
const POLL_MS = 20;

const { values } = parseArgs({
  options: {
    commits: { type: "string", default: "20" },
    files: { type: "string", default: "300" },
    "dir-cache-time": { type: "string", default: "10" },
    via: { type: "string", default: "push" },
    out: { type: "string", default: "bench-results" },
    help: { type: "boolean", short: "h", default: false },
  },
  strict: true,
});
if (values.help) {
  console.log(
    `usage: node --experimental-strip-types bench/mount-latency.ts [--commits 20] [--files 300] [--dir-cache-time SECONDS (mount B, default 10)] [--via push|watch] [--out bench-results]\n` +
      `  --via watch: a \`wspub watch\` runs throughout; the clock starts when the commit moves the branch`,
  );
  process.exit(0);
}
const COMMITS = Number(values.commits);
const FILES = Number(values.files);
const DIR_CACHE_S = Number(values["dir-cache-time"]);
const VIA = values.via as "push" | "watch";
if (VIA !== "push" && VIA !== "watch") {
  console.error("--via wants push or watch");
  process.exit(2);
}
if (!Number.isInteger(COMMITS) || COMMITS < 1 || !Number.isInteger(FILES) || FILES < 1 || !(DIR_CACHE_S > 0)) {
  console.error("--commits and --files want positive integers, --dir-cache-time a positive number of seconds");
  process.exit(2);
}
exitUnlessMountBenchCan("measure mount latency");

interface Sample {
  commit: number;
  /** wspub push start -> the notified mount reads the new content. */
  notifiedMs: number;
  /** wspub push start -> the mount that is never notified reads it. */
  unnotifiedMs: number;
  /** wspub push start -> exit (it reports the commit visible just before). */
  pushMs: number;
  /** The publish itself, and the refreshes plus the attribute wait, as wspub reports them. */
  publishMs: number;
  notifyMs: number;
  delayBeforeMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const read = (path: string) => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
};

const parts = new MountBenchParts();
const mounts = parts.mounts;

function push(env: NodeJS.ProcessEnv, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return spawnCollect(process.execPath, [BIN, ...args], { cwd: parts.repo!.dir, env });
}

/** `wspub watch <repo> --json` for the whole run: `published(commit)` resolves with the publish's result line, as `push` would print it. */
function startWatch(env: NodeJS.ProcessEnv, args: string[]) {
  const child = spawn(process.execPath, [BIN, "watch", parts.repo!.dir, "--json", ...args], {
    cwd: parts.repo!.dir,
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  parts.before = async () => {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  };
  const waiting = new Map<string, (r: { code: number; stdout: string; stderr: string }) => void>();
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (onReady = r));
  onJsonLines<{ event: string; result?: { commit: string } }>(child.stdout, (line) => {
    if (line.event !== "published" || !line.result) return;
    onReady();
    waiting.get(line.result.commit)?.({ code: 0, stdout: JSON.stringify(line.result), stderr: "" });
  });
  return {
    ready,
    published: (commit: string) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((r) => waiting.set(commit, r)),
  };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(rows[0]!), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.slice(1).map(line)].join("\n");
}

async function main(): Promise<void> {
  const server = await startSeaweed();
  parts.server = server;
  await createBucket(server, BUCKET);
  const s3 = { endpoint: server.endpoint, accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey };
  const rcPass = `bench-${process.pid}`;
  // A: the compose file's settings (--dir-cache-time 5m); B: the same with a short directory cache.
  mounts.push(await startMount({ bucket: BUCKET, s3, vars: { WSPUB_MOUNT_RC_PASS: rcPass } }));
  mounts.push(
    await startMount({
      bucket: BUCKET,
      s3,
      vars: { WSPUB_MOUNT_RC_PASS: rcPass, WSPUB_DIR_CACHE_TIME: `${DIR_CACHE_S}s` },
    }),
  );
  const [a, b] = mounts as [Mount, Mount];

  const repo = tempRepo("wspub-latency-");
  parts.repos.push(repo);
  const xdg = parts.xdg;
  mkdirSync(xdg, { recursive: true });
  const tree: Record<string, string> = { "marker.txt": "commit 0\n" };
  for (let i = 0; i < FILES; i++) tree[`src/d${i % 30}/f${i}.txt`] = `file ${i}\n${"x".repeat(200 + (i % 50) * 40)}\n`;
  repo.write(tree);
  repo.commit("initial");
  const env = cleanEnv({
    AWS_ACCESS_KEY_ID: server.accessKeyId,
    AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
    XDG_DATA_HOME: xdg,
    WSPUB_MOUNT_RC_USER: "wspub",
    WSPUB_MOUNT_RC_PASS: rcPass,
  });
  const args = ["push", "--target", `s3://${BUCKET}`, "--endpoint", server.endpoint, "--json", "--mount-rc", a.rcUrl];
  const name = repo.dir.split("/").pop()!;
  // The first publish (both mounts notified, so both start from the same tree), not measured.
  const first = await push(env, [...args, "--mount-rc", b.rcUrl]);
  if (first.code !== 0) throw new Error(`first publish failed: ${first.stderr}`);
  for (const m of mounts)
    if (read(join(m.dir, name, "marker.txt")) !== "commit 0\n")
      throw new Error(`${m.dir} does not show the first publish`);

  const watcher =
    VIA === "watch"
      ? startWatch(env, ["--target", `s3://${BUCKET}`, "--endpoint", server.endpoint, "--mount-rc", a.rcUrl])
      : undefined;
  if (watcher) await watcher.ready;
  const samples: Sample[] = [];
  for (let i = 1; i <= COMMITS; i++) {
    const delayBeforeMs = Math.floor(Math.random() * DIR_CACHE_S * 1000);
    await sleep(delayBeforeMs);
    // Alternate lengths: a changed size is what the kernel's attribute cache gets wrong for up to
    // --attr-timeout (a read is cut to the old size), so "the new content" means every byte of it.
    const marker = `commit ${i}\n${".".repeat((i % 2) * 40)}`;
    repo.write({
      "marker.txt": marker,
      [`src/d${i % 30}/f${i % FILES}.txt`]: `file ${i % FILES}, edited in commit ${i}\n`,
    });
    // --via push: the clock starts with `wspub push`; --via watch: when the commit moves the branch.
    let t0 = performance.now();
    const committed = repo.commit(`commit ${i}`);
    if (VIA === "push") t0 = performance.now();
    const running = VIA === "push" ? push(env, args) : watcher!.published(committed);
    const seen: (number | undefined)[] = [undefined, undefined];
    const deadline = t0 + DIR_CACHE_S * 1000 + 60_000;
    let result: Awaited<typeof running> | undefined;
    let pushMs = 0;
    void running.then((r) => {
      result = r;
      pushMs = performance.now() - t0;
    });
    while ((seen[0] === undefined || seen[1] === undefined || result === undefined) && performance.now() < deadline) {
      for (const [k, m] of [a, b].entries()) {
        if (seen[k] === undefined && read(join(m.dir, name, "marker.txt")) === marker) seen[k] = performance.now() - t0;
      }
      await sleep(POLL_MS);
    }
    const r = result ?? (await running);
    if (r.code !== 0) throw new Error(`publish ${i} failed: ${r.stderr}`);
    if (seen[0] === undefined || seen[1] === undefined)
      throw new Error(
        `commit ${i} did not show through ${seen[0] === undefined ? "the notified" : "the other"} mount in time`,
      );
    const out = JSON.parse(r.stdout) as { durationMs: number; visibility?: { visible: boolean; waitedMs: number } };
    if (!out.visibility?.visible) throw new Error(`publish ${i}: the mount was not refreshed: ${r.stderr}`);
    samples.push({
      commit: i,
      notifiedMs: seen[0],
      unnotifiedMs: seen[1],
      pushMs,
      publishMs: out.durationMs,
      notifyMs: out.visibility.waitedMs,
      delayBeforeMs,
    });
    process.stderr.write(
      `commit ${String(i).padStart(2)}: notified ${seen[0].toFixed(0)} ms, not notified ${seen[1].toFixed(0)} ms, push ${pushMs.toFixed(0)} ms\n`,
    );
  }

  const row = (label: string, xs: number[]) => [
    label,
    ...[median(xs), percentile(xs, 0.95), min(xs), max(xs)].map((v) => `${(v / 1000).toFixed(2)} s`),
    String(xs.length),
  ];
  const text = [
    `${VIA === "push" ? "commit -> visible" : "ref move -> visible (wspub watch)"} through an rclone mount (rclone ${rcloneVersion()}, SeaweedFS on 127.0.0.1, ${FILES + 1} files, ${cpus().length} cores, Linux ${release()})`,
    "",
    table([
      ["", "p50", "p95", "min", "max", "commits"],
      row(
        "notified (wspub --mount-rc), --dir-cache-time 5m",
        samples.map((s) => s.notifiedMs),
      ),
      row(
        `not notified, --dir-cache-time ${DIR_CACHE_S}s`,
        samples.map((s) => s.unnotifiedMs),
      ),
      row(
        VIA === "push" ? "wspub push returns (reports visible)" : "wspub watch reports it visible",
        samples.map((s) => s.pushMs),
      ),
      row(
        "  of which the publish",
        samples.map((s) => s.publishMs),
      ),
      row(
        "  of which refresh + attribute wait + refresh",
        samples.map((s) => s.notifyMs),
      ),
    ]),
    "",
    (VIA === "push"
      ? `Latency is measured from the start of \`node bin/wspub.js push\` (Node start-up included)`
      : "Latency is measured from the `git commit` that moves the branch, with `wspub watch` running (file-system events)") +
      ` to the first read through the mount that returns the new content (polled every ${POLL_MS} ms). ` +
      `Commits land at a random age (uniform in [0, ${DIR_CACHE_S}s)) of the un-notified mount's directory cache; without a notification the latency is bounded by --dir-cache-time ` +
      `(with the compose file's 5m: up to 5 minutes, about 2.5 minutes on average). p95 is the nearest-rank percentile.`,
  ].join("\n");
  console.log(text);
  const outDir = resolve(REPO_ROOT, values.out ?? "bench-results");
  mkdirSync(outDir, { recursive: true });
  const stamp = new Date()
    .toISOString()
    .replace(/[:.]/g, "-")
    .replace(/-\d+Z$/, "Z");
  writeFileSync(
    join(outDir, `mount-latency-${stamp}.json`),
    JSON.stringify({ commits: COMMITS, files: FILES, dirCacheTimeS: DIR_CACHE_S, samples }, null, 2),
  );
  writeFileSync(join(outDir, `mount-latency-${stamp}.md`), `${text}\n`);
}

/** "v1.75.2" from `rclone version`. */
function rcloneVersion(): string {
  const bin = rcloneBinary();
  const first = bin ? spawnSync(bin, ["version"], { encoding: "utf8" }).stdout.split("\n")[0] : undefined;
  return first?.replace(/^rclone /, "").trim() || "?";
}

try {
  await main();
} catch (e) {
  console.error(`mount-latency: ${(e as Error).stack ?? String(e)}`);
  for (const m of mounts) console.error(`--- ${m.dir} rclone log ---\n${m.log()}`);
  process.exitCode = 1;
} finally {
  await parts.cleanup();
}
