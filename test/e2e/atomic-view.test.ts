// The atomic view (issue 13), through a real `rclone mount` started with the command line of
// docker-compose.rclone.yml: while the installed CLI publishes with --atomic, ten times, between two
// trees that differ in file lengths, a package.json and its lockfile, and a renamed directory, a
// reader walks /workspaces/myapp in a loop (resolving the link once per walk, as a monitor resolves
// it once per run) and must only ever see whole commits: no mix, no entry listed then gone, no short
// read — and both trees. Then the workspace leaves atomic mode and the mount shows a directory again.

import { lstatSync, readdirSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { type Installed, mountSetup, spawnCli } from "../harness/cli.js";
import { fuseUnavailable, type Mount, startMount } from "../harness/rclone.js";
import type { TempRepo } from "../harness/repo.js";
import { expectedView, readDuringPublishes, snapshot, treeOf, viewOf } from "../harness/tree-view.js";

const s3 = inject("s3");
const unavailable = fuseUnavailable();
const mustRun = Boolean(process.env["CI"]);
const PUBLISHES = 10;

describe.skipIf(unavailable !== undefined && !mustRun)("an atomic workspace through an rclone mount", () => {
  let cli: Installed;
  let repo: TempRepo;
  let mount: Mount;
  let parent: string;
  const bucket = `atomic-view-${process.pid}`;
  const rcPass = `rc-${process.pid}-${Date.now()}`;

  mountSetup(
    {
      s3,
      bucket,
      needs: "FUSE",
      unavailable,
      tempPrefix: "wspub-atomic-e2e-",
      // A long directory cache: only the notification can make a publish visible.
      start: () => startMount({ bucket, s3, vars: { WSPUB_DIR_CACHE_TIME: "10m", WSPUB_MOUNT_RC_PASS: rcPass } }),
    },
    (made) => ({ cli, repo, mount, parent } = made),
  );

  const env = {
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    WSPUB_MOUNT_RC_USER: "wspub",
    WSPUB_MOUNT_RC_PASS: rcPass,
  };
  const push = (ref: string, ...flags: string[]) =>
    spawnCli(
      cli.bin,
      [
        "push",
        "--target",
        `s3://${bucket}`,
        "--endpoint",
        s3.endpoint,
        "--json",
        "--mount-rc",
        mount.rcUrl,
        "--ref",
        ref,
        ...flags,
      ],
      { cwd: repo.dir, env: { ...env, XDG_DATA_HOME: join(parent, "xdg") } },
    );

  it(`a reader sees only whole commits during ${PUBLISHES} publishes, and both of them`, async () => {
    const trees = [treeOf(0, 100, 40), treeOf(1, 100, 40)] as const;
    const commits: string[] = [];
    for (let i = 0; i <= PUBLISHES + 1; i++) {
      repo.remove("src", "old", "new");
      repo.write(trees[(i % 2) as 0 | 1]);
      commits.push(repo.commit(`tree ${i % 2 === 0 ? "A" : "B"} (${i})`));
    }
    const first = await push(commits[0]!, "--atomic");
    expect(first.code, first.stderr).toBe(0);
    const root = join(mount.dir, "myapp");
    expect(lstatSync(root).isSymbolicLink()).toBe(true);
    expect(realpathSync(root)).toBe(join(mount.dir, ".wspub-slots/myapp/a"));
    expect(viewOf(snapshot(realpathSync(root)))).toBe(expectedView(trees[0]));
    // The monitor's directory: the workspace's link and the slots (a name starting with '.'), no records.
    expect(readdirSync(mount.dir).sort()).toEqual([".wspub-slots", "myapp"]);

    const rounds = await readDuringPublishes({
      root,
      atomic: true,
      commits: commits.slice(0, PUBLISHES + 1),
      trees,
      push: (ref) => push(ref, "--atomic"),
      timeoutMs: 30_000,
    });
    const sum = (f: (r: (typeof rounds)[number]) => number) => rounds.reduce((s, r) => s + f(r), 0);
    const report = rounds.map(
      (r, i) => `${i + 1}: A ${r.seen[0]} B ${r.seen[1]} torn ${r.seen[2]} ${r.firstTorn ?? ""}`,
    );
    expect({ torn: sum((r) => r.seen[2]), vanished: sum((r) => r.vanished) }, report.join("\n")).toEqual({
      torn: 0,
      vanished: 0,
    });
    expect(sum((r) => r.seen[0])).toBeGreaterThan(0);
    expect(sum((r) => r.seen[1])).toBeGreaterThan(0);
    // Each publish after the first applies the changes of two commits to its slot, which held the same tree.
    expect(rounds.slice(1).every((r) => r.uploaded === 0 && r.deleted === 0)).toBe(true);

    // Out of atomic mode: the workspace is a directory again, with the next commit, and the slots are gone.
    const last = commits[PUBLISHES + 1]!;
    const out = await push(last, "--no-atomic");
    expect(out.code, out.stderr).toBe(0);
    expect(lstatSync(root).isDirectory()).toBe(true);
    expect(viewOf(snapshot(root))).toBe(expectedView(trees[(PUBLISHES + 1) % 2 === 0 ? 0 : 1]));
    // (The slots' objects are gone from the bucket; the mount's root listing may keep an empty
    // `.wspub-slots` until its directory cache expires.)
    expect(readdirSync(mount.dir).filter((n) => !n.startsWith("."))).toEqual(["myapp"]);
  });
});
