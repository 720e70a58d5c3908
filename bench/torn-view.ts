// `node --experimental-strip-types bench/torn-view.ts [options]`: what a reader of the mount sees
// while wspub publishes (issue 13). A throw-away SeaweedFS and an `rclone mount` started with the
// command line of docker-compose.rclone.yml (test/harness/rclone.ts); a repository whose commits
// alternate between two trees, A and B (`--changing` files change length, a package.json and its
// lockfile change together, a directory is renamed). The first commit is published, then each
// next one with `wspub push --mount-rc`, while a reader walks `/workspaces/<name>` in a loop (every
// byte of every file, test/harness/tree-view.ts) from the push's start until the mount shows the
// new tree. Each walk is A, B, or torn (neither: a mix, an entry listed then gone, a short read).
// Needs `npm run build` and .tools/venv (bash scripts/install-test-deps.sh).

import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, release } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { startMount } from "../test/harness/rclone.ts";
import { tempRepo } from "../test/harness/repo.ts";
import { cleanEnv, createBucket, startSeaweed } from "../test/harness/seaweed.ts";
import { spawnCollect } from "../test/harness/spawn.ts";
import { sha256, snapshot, type Tree } from "../test/harness/tree-view.ts";
import { median } from "./stats.ts";
import { BIN, exitUnlessMountBenchCan, MountBenchParts, REPO_ROOT } from "./mount-bench.ts";
import { markdownTable } from "./table.ts";

const BUCKET = "torn";
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

/** The files of tree A (`which` 0) or B (1): path -> content. */
function treeOf(which: 0 | 1): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < FILES; i++) {
    const grows = i < CHANGING && which === 1 ? 1 : 0;
    files[`src/d${i % 10}/f${i}.txt`] = `file ${i}\n${"x".repeat(100 + (i % 7) * 30 + grows * 57)}\n`;
  }
  const version = which === 0 ? "1.0.0" : "1.1.0-beta";
  files["package.json"] = `${JSON.stringify({ name: "app", version })}\n`;
  files["package-lock.json"] = `${JSON.stringify({ name: "app", version, lockfileVersion: 3 })}\n`;
  const dir = which === 0 ? "old" : "new";
  for (const name of ["a", "b", "c"]) files[`${dir}/dir/${name}.txt`] = `${name}\n`;
  return files;
}

/** What a reader must see for a tree: files by content, and their directories (mtimes left out). */
function expectedView(files: Record<string, string>): string {
  const view: Record<string, string> = {};
  for (const [path, content] of Object.entries(files)) {
    view[path] = `file ${sha256(content)}`;
    for (let d = path.split("/").slice(0, -1); d.length > 0; d = d.slice(0, -1)) view[d.join("/")] = "dir";
  }
  return JSON.stringify(Object.fromEntries(Object.entries(view).sort(([x], [y]) => (x < y ? -1 : 1))));
}

/** A walk's view in the form of expectedView. */
function viewOf(tree: Tree): string {
  const view: Record<string, string> = {};
  for (const [path, e] of Object.entries(tree)) {
    view[path] = e.type === "file" ? `file ${e.sha256}` : e.type === "symlink" ? `symlink ${e.target}` : e.type;
  }
  return JSON.stringify(view);
}

const parts = new MountBenchParts();

interface Round {
  walks: number;
  /** Walks that saw A, B, or neither. */
  seen: [number, number, number];
  vanished: number;
  firstTorn?: string;
  publishMs: number;
  uploaded: number;
  deleted: number;
}

async function main(): Promise<void> {
  const server = await startSeaweed();
  parts.server = server;
  await createBucket(server, BUCKET);
  const s3 = { endpoint: server.endpoint, accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey };
  const rcPass = `bench-${process.pid}`;
  const mount = await startMount({ bucket: BUCKET, s3, vars: { WSPUB_MOUNT_RC_PASS: rcPass } });
  parts.mounts.push(mount);
  const repo = tempRepo("wspub-torn-");
  parts.repo = repo;
  const xdg = parts.xdg;
  mkdirSync(xdg, { recursive: true });
  const trees = [treeOf(0), treeOf(1)] as const;
  const views = [expectedView(trees[0]), expectedView(trees[1])] as const;
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
  const args = ["push", "--target", `s3://${BUCKET}`, "--endpoint", server.endpoint, "--json"];
  const push = (ref: string) =>
    spawnCollect(process.execPath, [BIN, ...args, "--ref", ref, "--mount-rc", mount.rcUrl], { cwd: repo.dir, env });
  const root = join(mount.dir, repo.dir.split("/").pop()!);
  const first = await push(commits[0]!);
  if (first.code !== 0) throw new Error(`first publish failed: ${first.stderr}`);
  if (viewOf(snapshot(root)) !== views[0]) throw new Error("the mount does not show the first publish");

  const rounds: Round[] = [];
  for (let k = 1; k <= PUBLISHES; k++) {
    const want = (k % 2) as 0 | 1;
    const round: Round = { walks: 0, seen: [0, 0, 0], vanished: 0, publishMs: 0, uploaded: 0, deleted: 0 };
    let result: Awaited<ReturnType<typeof push>> | undefined;
    const running = push(commits[k]!).then((r) => (result = r));
    const t0 = performance.now();
    // Walk until the push has returned and a walk has seen the new tree (or time is up).
    while (result === undefined || round.seen[want] === 0) {
      if (performance.now() - t0 > SHOW_TIMEOUT_MS) throw new Error(`publish ${k}: the mount never showed it`);
      const tree = snapshot(root, true);
      const view = viewOf(tree);
      round.walks++;
      round.vanished += Object.values(tree).filter((e) => e.type === "vanished").length;
      const which = view === views[0] ? 0 : view === views[1] ? 1 : 2;
      round.seen[which]++;
      if (which === 2) round.firstTorn ??= describeTorn(tree, trees);
      await new Promise((r) => setImmediate(r));
    }
    const r = await running;
    if (r.code !== 0) throw new Error(`publish ${k} failed: ${r.stderr}`);
    const out = JSON.parse(r.stdout) as { durationMs: number; uploaded: number; deleted: number };
    Object.assign(round, { publishMs: out.durationMs, uploaded: out.uploaded, deleted: out.deleted });
    rounds.push(round);
    process.stderr.write(
      `publish ${String(k).padStart(2)} (to ${want === 0 ? "A" : "B"}): ${round.walks} walks, A ${round.seen[0]}, B ${round.seen[1]}, torn ${round.seen[2]}${round.firstTorn ? ` (first: ${round.firstTorn})` : ""}\n`,
    );
  }
  report(rounds);
}

/** Why a walk is neither tree: how many of its entries are as in A only, as in B only, as in neither. */
function describeTorn(tree: Tree, trees: readonly [Record<string, string>, Record<string, string>]): string {
  const count = { a: 0, b: 0, neither: 0, vanished: 0 };
  for (const [path, e] of Object.entries(tree)) {
    if (e.type === "vanished") count.vanished++;
    if (e.type !== "file") continue;
    const [a, b] = trees.map((t) => (t[path] === undefined ? undefined : sha256(t[path]!)));
    if (e.sha256 === a && e.sha256 !== b) count.a++;
    else if (e.sha256 === b && e.sha256 !== a) count.b++;
    else if (e.sha256 !== a) count.neither++;
  }
  return `files as in A only ${count.a}, as in B only ${count.b}, in neither (short reads) ${count.neither}, listed then gone ${count.vanished}`;
}

function report(rounds: Round[]): void {
  const sum = (f: (r: Round) => number) => rounds.reduce((s, r) => s + f(r), 0);
  const walks = sum((r) => r.walks);
  const torn = sum((r) => r.seen[2]);
  const titles = ["mode", "publishes", "walks", "saw A", "saw B", "torn", "torn %", "entries vanished"];
  const columns = [...titles, "publish (median)", "uploaded + deleted per publish (median)"].map((title, i) => ({
    title,
    align: i === 0 ? ("left" as const) : ("right" as const),
  }));
  const row = [
    "in place (today)",
    String(rounds.length),
    String(walks),
    String(sum((r) => r.seen[0])),
    String(sum((r) => r.seen[1])),
    String(torn),
    `${((100 * torn) / Math.max(1, walks)).toFixed(1)}%`,
    String(sum((r) => r.vanished)),
    `${median(rounds.map((r) => r.publishMs)).toFixed(0)} ms`,
    String(median(rounds.map((r) => r.uploaded + r.deleted))),
  ];
  const text = [
    `A reader walking an rclone mount while wspub publishes (${FILES + 5} files, ${CHANGING} change length, a directory renamed; ${cpus().length} cores, Linux ${release()})`,
    "",
    markdownTable(columns, [row]),
    "",
    "A walk reads every byte of every file under /workspaces/<name>, from the push's start until a walk shows the new tree.",
  ].join("\n");
  console.log(text);
  const outDir = resolve(REPO_ROOT, values.out ?? "bench-results");
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `torn-view-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify({ files: FILES, changing: CHANGING, rounds }, null, 2)}\n`);
  console.log(`\n(raw rounds: ${file})`);
}

try {
  await main();
} finally {
  await parts.cleanup();
}
