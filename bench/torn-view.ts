// `node --experimental-strip-types bench/torn-view.ts [options]`: what a reader of the mount sees
// while wspub publishes (issue 13), in place and with --atomic, side by side on one server. For each
// mode: a bucket, an `rclone mount` of it started with the command line of docker-compose.rclone.yml
// (test/harness/rclone.ts), and a repository whose commits alternate between two trees, A and B
// (test/harness/torn-reader.ts: `--changing` files change length, a package.json and its lockfile
// change together, a directory is renamed). The first commit is published, then each next one with
// `wspub push --mount-rc`, while a reader walks `/workspaces/<name>` in a loop (every byte of every
// file; in atomic mode the link is resolved once per walk) from the push's start until the mount
// shows the new tree. Each walk is A, B, or torn. wspub talks to the server through the counting
// proxy (bench/proxy.ts): requests and sequential round trips per publish; bytes stored at the end.
// Needs `npm run build` and .tools/venv (bash scripts/install-test-deps.sh).

import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, release } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { startMount } from "../test/harness/rclone.ts";
import { tempRepo } from "../test/harness/repo.ts";
import { cleanEnv, createBucket, type S3Server, s3Client, startSeaweed } from "../test/harness/seaweed.ts";
import { spawnCollect } from "../test/harness/spawn.ts";
import { expectedView, readDuringPublishes, type Round, snapshot, treeOf, viewOf } from "../test/harness/tree-view.ts";
import { median } from "./stats.ts";
import { BIN, exitUnlessMountBenchCan, MountBenchParts, REPO_ROOT } from "./mount-bench.ts";
import { startProxy } from "./proxy.ts";
import { markdownTable } from "./table.ts";

const SHOW_TIMEOUT_MS = 20_000;

const { values } = parseArgs({
  options: {
    publishes: { type: "string", default: "10" },
    files: { type: "string", default: "200" },
    changing: { type: "string", default: "60" },
    out: { type: "string", default: "bench-results" },
    help: { type: "boolean", short: "h", default: false },
  },
  strict: true,
});
if (values.help) {
  console.log(
    "usage: node --experimental-strip-types bench/torn-view.ts [--publishes 10] [--files 200] [--changing 60] [--out bench-results]",
  );
  process.exit(0);
}
const PUBLISHES = Number(values.publishes);
const FILES = Number(values.files);
const CHANGING = Number(values.changing);
if (![PUBLISHES, FILES, CHANGING].every((n) => Number.isInteger(n) && n >= 1) || CHANGING > FILES) {
  console.error("--publishes, --files and --changing want positive integers, --changing at most --files");
  process.exit(2);
}
exitUnlessMountBenchCan("measure through a mount");

const parts = new MountBenchParts();

interface ModeRun {
  mode: "in place" | "atomic";
  rounds: (Round & { requests: number; roundTrips: number })[];
  /** Bytes stored at the end: the workspace's files (both slots in atomic mode), and everything. */
  filesBytes: number;
  totalBytes: number;
}

async function runMode(server: S3Server, atomic: boolean): Promise<ModeRun> {
  const bucket = atomic ? "torn-atomic" : "torn-in-place";
  await createBucket(server, bucket);
  const s3 = { endpoint: server.endpoint, accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey };
  const rcPass = `bench-${process.pid}`;
  const mount = await startMount({ bucket, s3, vars: { WSPUB_MOUNT_RC_PASS: rcPass } });
  parts.mounts.push(mount);
  const proxy = await startProxy(server.endpoint);
  const repo = tempRepo("wspub-torn-");
  parts.repos.push(repo);
  const xdg = parts.xdg;
  mkdirSync(xdg, { recursive: true });
  const trees = [treeOf(0, FILES, CHANGING), treeOf(1, FILES, CHANGING)] as const;
  const commits: string[] = [];
  for (let i = 0; i <= PUBLISHES; i++) {
    repo.remove("src", "old", "new");
    repo.write(trees[(i % 2) as 0 | 1]);
    commits.push(repo.commit(`tree ${i % 2 === 0 ? "A" : "B"} (${i})`));
  }
  const env = cleanEnv({
    AWS_ACCESS_KEY_ID: server.accessKeyId,
    AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
    XDG_DATA_HOME: xdg,
    WSPUB_MOUNT_RC_USER: "wspub",
    WSPUB_MOUNT_RC_PASS: rcPass,
  });
  const args = [
    "push",
    "--target",
    `s3://${bucket}`,
    "--endpoint",
    proxy.endpoint,
    "--json",
    atomic ? "--atomic" : "--no-atomic",
  ];
  const costs: { requests: number; roundTrips: number }[] = [];
  const push = async (ref: string) => {
    proxy.take();
    const r = await spawnCollect(process.execPath, [BIN, ...args, "--ref", ref, "--mount-rc", mount.rcUrl], {
      cwd: repo.dir,
      env,
    });
    const c = proxy.take();
    costs.push({ requests: c.total, roundTrips: c.rounds });
    return r;
  };
  const name = repo.dir.split("/").pop()!;
  const root = join(mount.dir, name);
  const first = await push(commits[0]!);
  if (first.code !== 0) throw new Error(`first publish failed: ${first.stderr}`);
  if (viewOf(snapshot(root)) !== expectedView(trees[0])) throw new Error("the mount does not show the first publish");
  const mode = atomic ? "atomic" : "in place";
  const rounds = await readDuringPublishes({
    root,
    atomic,
    commits,
    trees,
    push,
    timeoutMs: SHOW_TIMEOUT_MS,
    onRound: (k, round) =>
      process.stderr.write(
        `${mode} publish ${String(k).padStart(2)} (to ${k % 2 === 0 ? "A" : "B"}): ${round.walks} walks, A ${round.seen[0]}, B ${round.seen[1]}, torn ${round.seen[2]}${round.firstTorn ? ` (first: ${round.firstTorn})` : ""}\n`,
      ),
  });
  await proxy.close();
  const bytes = await storedBytes(server, bucket, atomic ? `.wspub-slots/${name}/` : `${name}/`);
  return { mode, rounds: rounds.map((r, i) => ({ ...r, ...costs[i + 1]! })), ...bytes };
}

/** Bytes stored in the bucket: under `files` (the workspace's trees), and in all. */
async function storedBytes(
  server: S3Server,
  bucket: string,
  files: string,
): Promise<{ filesBytes: number; totalBytes: number }> {
  const client = s3Client(server);
  let filesBytes = 0;
  let totalBytes = 0;
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const o of page.Contents ?? []) {
      totalBytes += o.Size ?? 0;
      if (o.Key?.startsWith(files)) filesBytes += o.Size ?? 0;
    }
    token = page.NextContinuationToken;
  } while (token);
  client.destroy();
  return { filesBytes, totalBytes };
}

async function main(): Promise<void> {
  const server = await startSeaweed();
  parts.server = server;
  const runs = [await runMode(server, false), await runMode(server, true)];
  report(runs);
}

function report(runs: ModeRun[]): void {
  const titles = ["mode", "publishes", "walks", "saw A", "saw B", "torn", "torn %", "entries vanished"];
  const more = ["publish (median)", "uploaded + deleted", "requests", "round trips", "files stored", "bucket"];
  const columns = [...titles, ...more].map((title, i) => ({
    title,
    align: i === 0 ? ("left" as const) : ("right" as const),
  }));
  const rows = runs.map(({ mode, rounds, filesBytes, totalBytes }) => {
    const sum = (f: (r: Round) => number) => rounds.reduce((s, r) => s + f(r), 0);
    const walks = sum((r) => r.walks);
    const torn = sum((r) => r.seen[2]);
    return [
      mode,
      String(rounds.length),
      String(walks),
      String(sum((r) => r.seen[0])),
      String(sum((r) => r.seen[1])),
      String(torn),
      `${((100 * torn) / Math.max(1, walks)).toFixed(1)}%`,
      String(sum((r) => r.vanished)),
      `${median(rounds.map((r) => r.publishMs)).toFixed(0)} ms`,
      String(median(rounds.map((r) => r.uploaded + r.deleted))),
      String(median(rounds.map((r) => r.requests))),
      String(median(rounds.map((r) => r.roundTrips))),
      `${(filesBytes / 1024).toFixed(1)} KiB`,
      `${(totalBytes / 1024).toFixed(1)} KiB`,
    ];
  });
  const text = [
    `A reader walking an rclone mount while wspub publishes (${FILES + 5} files, ${CHANGING} change length, a directory renamed; ${cpus().length} cores, Linux ${release()})`,
    "",
    markdownTable(columns, rows),
    "",
    "A walk reads every byte of every file under /workspaces/<name>, from the push's start until a walk shows the new tree.",
    "Per publish (medians): the plan's uploads and deletes, wspub's requests and sequential round trips (counting proxy).",
    "Stored at the end: the workspace's files (atomic: both slots), and the whole bucket (records and manifests too).",
  ].join("\n");
  console.log(text);
  const outDir = resolve(REPO_ROOT, values.out ?? "bench-results");
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `torn-view-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify({ files: FILES, changing: CHANGING, runs }, null, 2)}\n`);
  console.log(`\n(raw rounds: ${file})`);
}

try {
  await main();
} finally {
  await parts.cleanup();
}
