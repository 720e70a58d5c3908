// What the monitor sees: the installed CLI publishes to SeaweedFS, and a real `rclone mount`
// started with the very command line of docker-compose.rclone.yml (test/harness/rclone.ts lists
// the substitutions), with a 10-minute directory cache, shows the bucket.
//
// Two mounts of the same bucket run side by side: A is notified by wspub, B never is (after the
// first publish). B still showing the previous commit when A shows the new one is the proof that
// the notification, not a cache expiry, makes the commit visible.

import { execFileSync } from "node:child_process";
import { lstatSync, readFileSync, readdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { delimiter, dirname, join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { mountSetup, runCli, type Installed } from "../harness/cli.js";
import { freePort, fuseUnavailable, startMount, type Mount } from "../harness/rclone.js";
import type { TempRepo } from "../harness/repo.js";
import { spawnCollect } from "../harness/spawn.js";
import { entryOfNeither, sha256, snapshot, type Tree } from "../harness/tree-view.js";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { cleanEnv, s3Client } from "../harness/seaweed.js";

const s3 = inject("s3");
const unavailable = fuseUnavailable();
// On the project's machines and in CI FUSE is there, so there the test must run, not skip.
const mustRun = Boolean(process.env["CI"]);
if (unavailable) console.warn(`test/e2e/mount.test.ts: ${mustRun ? "FAILING" : "skipping"}: ${unavailable}`);

describe.skipIf(unavailable !== undefined && !mustRun)(
  `the rclone mount shows each commit${unavailable ? ` (FUSE unavailable: ${unavailable})` : ""}`,
  () => {
    let cli: Installed;
    let repo: TempRepo;
    let a: Mount;
    let b: Mount;
    const bucket = `mount-${process.pid}`;
    const rcPass = `rc-${process.pid}-${Date.now()}`;

    mountSetup(
      {
        s3,
        bucket,
        needs: "FUSE",
        unavailable,
        tempPrefix: "wspub-mount-e2e-",
        start: async () => {
          // A long directory cache: without a notification nothing would show for 10 minutes.
          const vars = { WSPUB_DIR_CACHE_TIME: "10m", WSPUB_MOUNT_RC_PASS: rcPass };
          const [ma, mb] = await Promise.all([startMount({ bucket, s3, vars }), startMount({ bucket, s3, vars })]);
          // Unmount and stop rclone whatever happened; each on its own so one failure does not leak the other.
          return {
            a: ma,
            b: mb,
            stop: async () => {
              await Promise.allSettled([ma.stop(), mb.stop()]);
            },
          };
        },
      },
      (made) => {
        ({ cli, repo } = made);
        ({ a, b } = made.mount);
      },
    );

    const env = (extra: Record<string, string> = {}) => ({
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      XDG_DATA_HOME: join(repo.dir, "..", "xdg"),
      WSPUB_MOUNT_RC_USER: "wspub",
      WSPUB_MOUNT_RC_PASS: rcPass,
      ...extra,
    });
    // Published at the bucket's root, as docker-compose.rclone.yml assumes (its --exclude=/.wspub/**).
    const pushArgs = (...mounts: Mount[]) => [
      "push",
      "--target",
      `s3://${bucket}`,
      "--endpoint",
      s3.endpoint,
      "--json",
      ...mounts.flatMap((m) => ["--mount-rc", m.rcUrl]),
    ];
    const commitTime = (commit: string) => Number(repo.git("show", "-s", "--format=%ct", commit).trim());

    /**
     * The tree the mount must show for a commit: its publish set, byte for byte, symlinks as
     * symlinks, and as mtime the time of the commit that last wrote each file (`mtimes`, path -> time).
     */
    function expected(commit: string, mtimes: Record<string, number>): Tree {
      const files = JSON.parse(
        runCli(cli.bin, ["files", "--ref", commit, "--json"], { cwd: repo.dir, env: env() }).stdout,
      ) as { files: { path: string; mode: string }[] };
      const out: Tree = {};
      for (const f of files.files) {
        const body = execFileSync("git", ["cat-file", "blob", `${commit}:${f.path}`], {
          cwd: repo.dir,
          maxBuffer: 64 * 1024 * 1024,
        });
        out[f.path] =
          f.mode === "120000"
            ? { type: "symlink", target: body.toString("utf8") }
            : { type: "file", sha256: sha256(body), mtime: mtimes[f.path] ?? -1 };
        for (let d = dirname(f.path); d !== "."; d = dirname(d)) out[d] = { type: "dir" };
      }
      return Object.fromEntries(Object.entries(out).sort(([x], [y]) => (x < y ? -1 : 1)));
    }
    /** path -> mtime from the live manifest in the bucket (a file keeps the time of the commit that last wrote it). */
    async function liveMtimes(): Promise<Record<string, number>> {
      const client = s3Client(s3);
      try {
        const get = async (key: string) =>
          JSON.parse(
            await (await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString(),
          ) as Record<string, unknown>;
        const pointer = await get(".wspub/myapp/live.json");
        // A version 2 manifest: a root naming content-addressed shards (README, "Bucket layout").
        const root = (await get(String(pointer["manifest"]))) as { version: number; shards: string[] };
        expect(root.version).toBe(2);
        const files: Record<string, number> = {};
        for (const digest of root.shards) {
          const shard = (await get(`.wspub/myapp/manifests/shards/${digest}.json`)) as {
            files: Record<string, { mtime: number }>;
          };
          for (const [path, e] of Object.entries(shard.files)) files[path] = e.mtime;
        }
        return files;
      } finally {
        client.destroy();
      }
    }
    const view = (m: Mount) => snapshot(join(m.dir, "myapp"));

    /** Runs the CLI without blocking, so the test can watch the mount meanwhile. */
    function runAsync(
      args: string[],
      extra: Record<string, string> = {},
    ): Promise<{ code: number; stdout: string; stderr: string }> {
      const childEnv = cleanEnv(env(extra));
      childEnv["PATH"] = [dirname(process.execPath), childEnv["PATH"] ?? ""].join(delimiter);
      return spawnCollect(cli.bin, args, { cwd: repo.dir, env: childEnv });
    }

    let c1: string;

    it("commit 1: the mount shows exactly the publish set, byte for byte, symlinks as symlinks, mtimes = the commit time", async () => {
      // The mounts have listed the empty bucket: a cached root without "myapp" that wspub must invalidate.
      expect(readdirSync(a.dir)).toEqual([]);
      expect(readdirSync(b.dir)).toEqual([]);
      repo.write({
        "index.html": "<h1>v1</h1>\n",
        "src/mod.js": "v1\n",
        "src/mv.js": "move me\n",
        "src/del.js": "delete me\n",
        "old/dir/a.txt": "a\n",
        "old/dir/b.txt": "b\n",
        "bin/run.sh": { content: "#!/bin/sh\necho hi\n", mode: 0o755 },
        "ünïcødé/日本.md": "# 日本\n",
        "empty.txt": "",
        "assets/blob.bin": Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256)),
        "link-to-index": { link: "index.html" },
        "link-to-dir": { link: "src" },
        "node_modules/x/index.js": "never published\n",
        ".env": "SECRET=1\n",
      });
      repo.git("add", "-A");
      repo.git("add", "-f", "node_modules", ".env");
      c1 = repo.commit("one");
      const r = runCli(cli.bin, pushArgs(a, b), { cwd: repo.dir, env: env() });
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out).toMatchObject({
        commit: c1,
        visibility: {
          visible: true,
          mounts: [
            { ok: true, dir: "myapp" },
            { ok: true, dir: "myapp" },
          ],
        },
      });
      expect(r.stderr).not.toContain(rcPass);

      // Every file's mtime is the commit's time.
      const mtimes = await liveMtimes();
      expect(new Set(Object.values(mtimes))).toEqual(new Set([commitTime(c1)]));
      const want = expected(c1, mtimes);
      expect(want["link-to-index"]).toEqual({ type: "symlink", target: "index.html" });
      expect(Object.keys(want)).not.toContain("node_modules");
      expect(view(a)).toEqual(want);
      expect(view(b)).toEqual(want);
      expect(lstatSync(join(a.dir, "myapp/link-to-index")).isSymbolicLink()).toBe(true);
      expect(readFileSync(join(a.dir, "myapp/link-to-index"), "utf8")).toBe("<h1>v1</h1>\n");
      expect(lstatSync(join(a.dir, "myapp/link-to-dir")).isSymbolicLink()).toBe(true);
      // The monitor sees the workspaces only: wspub's .wspub/ is hidden by the compose file's --exclude.
      expect(readdirSync(a.dir)).toEqual(["myapp"]);
    });

    it("commit 2 (modify, add, delete a file and a directory, rename): the notified mount shows exactly the new tree within 3 s; the other still shows commit 1", async () => {
      expect(c1).toBeDefined();
      const before = expected(c1, await liveMtimes());
      repo.write({
        "src/mod.js": "v2\n",
        "index.html": "<h1>version 2</h1>\n",
        "lib/new.js": "new\n",
        "link-to-index": { link: "lib/new.js" },
      });
      repo.git("mv", "src/mv.js", "lib/mv.js");
      repo.git("rm", "-q", "src/del.js");
      repo.git("rm", "-q", "-r", "old");
      const c2 = repo.commit("two");
      // What commit 2 must look like: unchanged files keep commit 1's time, written ones get commit 2's.
      const t1 = commitTime(c1);
      const t2 = commitTime(c2);
      const mtimes2: Record<string, number> = {};
      for (const path of Object.keys(before)) mtimes2[path] = t1;
      for (const path of ["src/mod.js", "index.html", "lib/new.js", "lib/mv.js", "link-to-index"]) mtimes2[path] = t2;
      const want = expected(c2, mtimes2);
      expect(want).not.toEqual(before);

      const t0 = Date.now();
      const running = runAsync(pushArgs(a));
      let seenAt: number | undefined;
      let exited = false;
      void running.finally(() => (exited = true));
      // Watch mount A while wspub runs, as a busy monitor would. Until the notification A shows
      // commit 1; in between, old and new entries side by side, and within the kernel's attribute
      // timeout after the refresh a file whose length changed may read cut to its old length.
      const oddities: string[] = [];
      while (!exited || seenAt === undefined) {
        if (seenAt === undefined) {
          const now = snapshot(join(a.dir, "myapp"), true);
          if (JSON.stringify(now) === JSON.stringify(want)) seenAt = Date.now() - t0;
          else {
            const odd = entryOfNeither(now, before, want);
            if (odd) oddities.push(`${Date.now() - t0} ms: ${odd}`);
          }
        }
        if (Date.now() - t0 > 20_000) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      if (oddities.length > 0)
        console.info(
          `entries that were neither commit 1 nor commit 2 while the publish ran:\n  ${oddities.join("\n  ")}`,
        );
      const r = await running;
      const exitedAt = Date.now() - t0;
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out).toMatchObject({ commit: c2, previous: c1, visibility: { visible: true, mounts: [{ ok: true }] } });
      expect(await liveMtimes()).toEqual(
        Object.fromEntries(
          Object.entries(mtimes2).filter(([p]) => want[p]?.type === "file" || want[p]?.type === "symlink"),
        ),
      );
      // When wspub reports the commit visible, it is.
      expect(view(a)).toEqual(want);
      console.info(
        `commit 2 visible through the notified mount ${seenAt} ms after \`wspub push\` started (it returned after ${exitedAt} ms; publish ${out.durationMs} ms, refresh + attribute wait ${out.visibility.waitedMs} ms)`,
      );
      expect(seenAt).toBeDefined();
      expect(seenAt!).toBeLessThanOrEqual(3_000);

      // Mount B was not notified: with its 10-minute directory cache it still shows commit 1, 3 s later.
      const wait = 3_000 - (Date.now() - t0);
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
      expect(view(b)).toEqual(before);
    });

    it("an unreachable mount or wrong credentials: warnings, the publish succeeds, no password printed", async () => {
      repo.write({ "index.html": "<h1>v3</h1>\n" });
      const c3 = repo.commit("three");
      const closed = await freePort();
      const wrong = a.rcUrl.replace("http://", "http://wspub:wrong-password@");
      const r = runCli(cli.bin, [...pushArgs(), "--mount-rc", `http://127.0.0.1:${closed}`, "--mount-rc", wrong], {
        cwd: repo.dir,
        env: env(),
      });
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out).toMatchObject({ commit: c3, visibility: { visible: false, mounts: [{ ok: false }, { ok: false }] } });
      expect(r.stderr).toMatch(
        new RegExp(
          `warning: the mount at http://127\\.0\\.0\\.1:${closed} was not refreshed: cannot connect \\(ECONNREFUSED\\)`,
        ),
      );
      expect(r.stderr).toMatch(
        /warning: the mount at http:\/\/127\.0\.0\.1:\d+ was not refreshed: rclone rejected the credentials \(HTTP 401\)/,
      );
      expect(r.stderr + r.stdout).not.toContain("wrong-password");
      expect(r.stderr + r.stdout).not.toContain(rcPass);
      // --no-notify: no call at all, and no visibility in the result.
      repo.write({ "index.html": "<h1>v3b</h1>\n" });
      repo.commit("three b");
      const quiet = runCli(cli.bin, [...pushArgs(a), "--no-notify"], { cwd: repo.dir, env: env() });
      expect(quiet.code, quiet.stderr).toBe(0);
      expect(JSON.parse(quiet.stdout).visibility).toBeUndefined();
    });

    it("the webhook receives the summary once the commit is visible: a monitor reacting to it reads the new tree", async () => {
      repo.write({ "index.html": "<h1>v4</h1>\n", "hook.txt": "hooked\n" });
      const c4 = repo.commit("four");
      const t4 = commitTime(c4);
      const want = expected(c4, { ...(await liveMtimes()), "index.html": t4, "hook.txt": t4 });
      const received: { body: Record<string, unknown>; authorization: string | undefined; sawNewTree: boolean }[] = [];
      const server: Server = createServer((req, res) => {
        let text = "";
        req.on("data", (d: Buffer) => (text += d.toString("utf8")));
        req.on("end", () => {
          // What the monitor would do on the webhook: read the mount.
          received.push({
            body: JSON.parse(text) as Record<string, unknown>,
            authorization: req.headers.authorization,
            sawNewTree: JSON.stringify(view(a)) === JSON.stringify(want),
          });
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
      try {
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/wspub`;
        const r = await runAsync([...pushArgs(a), "--webhook", url], { WSPUB_WEBHOOK_TOKEN: "hook-token" });
        expect(r.code, r.stderr).toBe(0);
        expect(JSON.parse(r.stdout).visibility).toMatchObject({ visible: true, webhook: { ok: true, status: 204 } });
        expect(received).toHaveLength(1);
        expect(received[0]!.authorization).toBe("Bearer hook-token");
        expect(received[0]!.body).toMatchObject({
          event: "wspub.published",
          workspace: "myapp",
          commit: c4,
          prefix: "myapp/",
          url: `s3://${bucket}/myapp/`,
          visibility: { visible: true },
        });
        expect(received[0]!.sawNewTree).toBe(true);
      } finally {
        await new Promise<void>((ok) => server.close(() => ok()));
      }
    });
  },
);
