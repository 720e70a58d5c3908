// What the monitor sees through s3fs (issue 14): the installed CLI publishes a tricky repository
// with --layout s3fs to SeaweedFS, a real s3fs started with the command line of
// docker-compose.s3fs.yml mounts the bucket, and a user other than the mount's owner reads it:
// every file byte for byte with its exec bit and the commit's time as mtime, symlinks as symlinks
// with their targets, nothing excluded and no records inside the workspace. Then the next commit
// (a change of length, a deleted directory, a renamed one) through the same mount, once s3fs's
// stat cache has expired (s3fs cannot be told to refresh).
//
// The reader is nobody in root's group: SeaweedFS keeps no metadata on `dir/` objects, so here
// s3fs shows the directories 0750 (with MinIO or AWS the markers' 0755 shows; see
// test/e2e/s3fs-harness.test.ts and test/integration/s3fs-layout.test.ts for what is sent).

import { execFile, execFileSync } from "node:child_process";
import { lstatSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, inject, it } from "vitest";
import { type Installed, mountSetup, runCli, sha256, spawnCli } from "../harness/cli.js";
import { type TempRepo, tempRepo } from "../harness/repo.js";
import { type S3fsMount, s3fsUnavailable, startS3fsMount } from "../harness/s3fs.js";
import { expectedView, readDuringPublishes, snapshot, treeOf, viewOf } from "../harness/tree-view.js";

const s3 = inject("s3");
const unavailable = s3fsUnavailable();
const mustRun = Boolean(process.env["CI"]);
const EXPIRE_SECONDS = 2;
const run = promisify(execFile);

/** One line per entry under `root`, as an unprivileged reader sees it: `type mode mtime path -> target sha256`. */
async function readAsNobody(root: string): Promise<Record<string, string>> {
  const user = ["-u", "nobody", "-g", "root", "--"];
  const list = await run("runuser", [...user, "find", root, "-mindepth", "1", "-printf", "%y %m %T@ %P\\t%l\\0"], {
    encoding: "utf8",
  });
  const sums = await run(
    "runuser",
    [...user, "sh", "-c", 'cd "$1" && find . -type f -print0 | xargs -0r sha256sum -z', "sh", root],
    {
      encoding: "utf8",
    },
  );
  const digest = new Map<string, string>();
  for (const line of sums.stdout.split("\0").filter(Boolean))
    digest.set(line.slice(66).replace(/^\.\//, ""), line.slice(0, 64));
  const out: Record<string, string> = {};
  for (const entry of list.stdout.split("\0").filter(Boolean)) {
    const [head, target] = entry.split("\t") as [string, string];
    const [type, mode, mtime, ...rest] = head.split(" ");
    const path = rest.join(" ");
    const time = Math.floor(Number(mtime));
    out[path] =
      type === "l" ? `l -> ${target}` : type === "d" ? "d" : `${type} ${mode} ${time} ${digest.get(path) ?? "?"}`;
  }
  return out;
}

describe.skipIf(unavailable !== undefined && !mustRun)("the s3fs layout through a real s3fs mount", () => {
  let cli: Installed;
  let repo: TempRepo;
  let mount: S3fsMount;
  let parent: string;
  const bucket = `s3fs-e2e-${process.pid}`;

  mountSetup(
    {
      s3,
      bucket,
      needs: "s3fs",
      unavailable,
      tempPrefix: "wspub-s3fs-e2e-",
      start: () => startS3fsMount({ bucket, s3, vars: { WSPUB_S3FS_STAT_CACHE_EXPIRE: String(EXPIRE_SECONDS) } }),
    },
    (made) => ({ cli, repo, mount, parent } = made),
  );

  const env = () => ({
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    XDG_DATA_HOME: join(parent, "xdg"),
    WSPUB_LAYOUT: "s3fs",
  });
  const push = () =>
    runCli(cli.bin, ["push", "--target", `s3://${bucket}`, "--endpoint", s3.endpoint, "--json"], {
      cwd: repo.dir,
      env: env(),
    });
  const time = (commit: string) => Number(repo.git("show", "-s", "--format=%ct", commit).trim());
  const blob = (commit: string, path: string) =>
    sha256(execFileSync("git", ["cat-file", "blob", `${commit}:${path}`], { cwd: repo.dir }));
  /** The tree a reader must see: `files` (path -> mode, mtime), symlinks, and their directories. */
  function expected(commit: string, files: Record<string, [string, number]>, links: Record<string, string>) {
    const out: Record<string, string> = {};
    for (const [path, [mode, mtime]] of Object.entries(files)) out[path] = `f ${mode} ${mtime} ${blob(commit, path)}`;
    for (const [path, target] of Object.entries(links)) out[path] = `l -> ${target}`;
    for (const path of Object.keys(out)) for (let d = dirname(path); d !== "."; d = dirname(d)) out[d] = "d";
    return out;
  }

  it("shows the published tree to another user, then the next commit once the stat cache expires", async () => {
    repo.write({
      "index.html": "<h1>hello</h1>\n",
      "src/app.js": "console.log('v1');\n",
      "src/lib/util.js": "export const u = 1;\n",
      "bin/run.sh": { content: "#!/bin/sh\necho run\n", mode: 0o755 },
      "with space.txt": "space\n",
      "ünïcödé.txt": "unicode\n",
      "empty.txt": "",
      "link-to-index": { link: "index.html" },
      "link-to-dir": { link: "src/lib" },
      ".env": "SECRET=1\n",
      "node_modules/dep/index.js": "module.exports = 1;\n",
    });
    const c1 = repo.commit("one");
    expect(push().code).toBe(0);
    const t1 = time(c1);
    const root = join(mount.dir, "myapp");
    const files1: Record<string, [string, number]> = {
      "index.html": ["644", t1],
      "src/app.js": ["644", t1],
      "src/lib/util.js": ["644", t1],
      "bin/run.sh": ["755", t1],
      "with space.txt": ["644", t1],
      "ünïcödé.txt": ["644", t1],
      "empty.txt": ["644", t1],
    };
    const links = { "link-to-index": "index.html", "link-to-dir": "src/lib" };
    expect(await readAsNobody(root)).toEqual(expected(c1, files1, links));

    // The next commit: a change of length, a deleted directory, a renamed one.
    repo.write({ "src/app.js": "console.log('version two, longer');\n" });
    repo.remove("src/lib");
    repo.git("mv", "bin", "scripts");
    const c2 = repo.commit("two", { all: true });
    const pushed = push();
    expect(pushed.code, pushed.stderr).toBe(0);
    const t2 = time(c2);
    const { "src/lib/util.js": _gone, "bin/run.sh": _moved, ...kept } = files1;
    const files2 = {
      ...kept,
      "src/app.js": ["644", t2] as [string, number],
      "scripts/run.sh": ["755", t2] as [string, number],
    };
    const want = expected(c2, files2, { "link-to-index": "index.html", "link-to-dir": "src/lib" });
    // A dangling link stays a link (its target directory is gone): the reader lists it, not its target.
    const deadline = Date.now() + (3 * EXPIRE_SECONDS + 5) * 1000;
    let seen = await readAsNobody(root).catch((e: Error) => ({ error: e.message }));
    const same = (a: object, b: object) =>
      JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
    while (!same(seen, want) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      seen = await readAsNobody(root).catch((e: Error) => ({ error: e.message }));
    }
    expect(seen).toEqual(want);
  });

  it("atomic: a reader resolving the link once per walk sees only whole commits, and each new one", async () => {
    const app = tempRepo("", join(parent, "atomicapp"));
    try {
      const trees = [treeOf(0, 60, 20), treeOf(1, 60, 20)] as const;
      const commits: string[] = [];
      for (let i = 0; i <= 6; i++) {
        app.remove("src", "old", "new");
        app.write(trees[(i % 2) as 0 | 1]);
        commits.push(app.commit(`tree ${i % 2 === 0 ? "A" : "B"} (${i})`));
      }
      const args = ["push", "--atomic", "--target", `s3://${bucket}`, "--endpoint", s3.endpoint, "--json"];
      const push = (ref: string) => spawnCli(cli.bin, [...args, "--ref", ref], { cwd: app.dir, env: env() });
      const first = await push(commits[0]!);
      expect(first.code, first.stderr).toBe(0);
      const root = join(mount.dir, "atomicapp");
      expect(lstatSync(root).isSymbolicLink()).toBe(true);
      expect(viewOf(snapshot(realpathSync(root)))).toBe(expectedView(trees[0]));
      // s3fs cannot be told: the link's new target shows once its cached attributes expire.
      const rounds = await readDuringPublishes({ root, atomic: true, commits, trees, push, timeoutMs: 30_000 });
      const sum = (f: (r: (typeof rounds)[number]) => number) => rounds.reduce((n, r) => n + f(r), 0);
      const report = rounds.map(
        (r, i) => `${i + 1}: A ${r.seen[0]} B ${r.seen[1]} torn ${r.seen[2]} ${r.firstTorn ?? ""}`,
      );
      expect({ torn: sum((r) => r.seen[2]), vanished: sum((r) => r.vanished) }, report.join("\n")).toEqual({
        torn: 0,
        vanished: 0,
      });
    } finally {
      app.cleanup();
    }
  });
});
