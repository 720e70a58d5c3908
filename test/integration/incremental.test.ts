// Incremental publishes: `git diff-tree` against the live commit names the paths to look at, and
// only the manifest shards that hold them are read and rewritten. Every test checks the result
// against what a full publish of the same commit gives (the oracle), on real git and SeaweedFS.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { openGit } from "../../src/git/cli-git.js";
import type { GitReader } from "../../src/git/port.js";
import { publish } from "../../src/publish/publish.js";
import type { PublishRequest } from "../../src/publish/request.js";
import { verify } from "../../src/inspect/verify.js";
import { readLive, readLiveFiles } from "../../src/manifest/live.js";
import { digestBuffer } from "../../src/publish/content.js";
import { serializeManifest, type ManifestEntry } from "../../src/manifest/entry.js";
import { DirStore } from "../../src/store/dir-store.js";
import type { S3Store } from "../../src/store/s3-store.js";
import type { ObjectStore } from "../../src/store/port.js";
import { WspubError } from "../../src/errors.js";
import { publishRequest } from "../harness/publish-request.js";
import { tempRepo, type TempRepo, type Tree } from "../harness/repo.js";
import { layoutOf } from "../harness/layout.js";
import { freshBucket, useS3Credentials } from "../harness/s3-bucket.js";

const s3 = inject("s3");

useS3Credentials(s3);

/** Records the store calls a publish makes (method and key), passing them through. */
function counting(inner: ObjectStore): { store: ObjectStore; calls: string[] } {
  const calls: string[] = [];
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const first = args[0];
        calls.push(`${String(prop)} ${Array.isArray(first) ? `[${first.length}]` : String(first)}`);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, calls };
}

const withoutMtime = (files: Record<string, ManifestEntry>) =>
  Object.fromEntries(Object.entries(files).map(([p, e]) => [p, { ...e, mtime: 0 }]));

describe("incremental publishes (SeaweedFS S3)", () => {
  let repo: TempRepo;
  let git: GitReader;
  let s3store: S3Store;
  let oracleDir: string;
  let oracle: DirStore;
  const layout = layoutOf("app");
  const req = (over: Partial<PublishRequest> = {}): PublishRequest =>
    publishRequest({ git, store: s3store, layout, concurrency: 8 }, over);

  beforeEach(async () => {
    repo = tempRepo();
    ({ store: s3store } = await freshBucket(s3, "incr", 8));
    oracleDir = mkdtempSync(join(tmpdir(), "wspub-oracle-"));
    oracle = new DirStore(oracleDir);
  });
  afterEach(async () => {
    await git?.close();
    s3store.close();
    rmSync(oracleDir, { recursive: true, force: true });
    repo.cleanup();
  });

  /** The live state against a full publish of the same commit into a fresh store: same files (mtimes aside), counts, and a clean verify. */
  async function expectSameAsFull(name: string, over: Partial<PublishRequest> = {}) {
    const fresh = layoutOf(name);
    const full = await publish(req({ ...over, store: oracle, layout: fresh, lock: false }));
    expect(full.incremental).toBe(false);
    const live = (await readLive(s3store, layout))!;
    const want = (await readLive(oracle, fresh))!;
    expect(withoutMtime((await readLiveFiles(s3store, layout, live))!)).toEqual(
      withoutMtime((await readLiveFiles(oracle, fresh, want))!),
    );
    const [a, b] = [live.stored, want.stored];
    if (a?.version !== 2 || b?.version !== 2) throw new Error("expected version 2 manifests");
    expect({
      files: a.root.files,
      bytes: a.root.bytes,
      excluded: a.root.excluded,
      ignore: a.root.ignore,
      commit: a.root.commit,
    }).toEqual({
      files: b.root.files,
      bytes: b.root.bytes,
      excluded: b.root.excluded,
      ignore: b.root.ignore,
      commit: b.root.commit,
    });
    expect(live.pointer).toMatchObject({ files: b.root.files, bytes: b.root.bytes });
    expect(await verify(s3store, layout, { deep: false, concurrency: 8 })).toMatchObject({
      ok: true,
      checked: b.root.files,
    });
  }

  it("a one-file change reads and writes one manifest shard, lists nothing, and equals a full publish", async () => {
    const tree: Tree = {};
    for (let i = 0; i < 2600; i++) tree[`src/d${i % 40}/f${i}.ts`] = `export const v${i} = ${i};\n`;
    repo.write(tree);
    repo.commit("one");
    git = await openGit(repo.dir);
    const first = await publish(req());
    expect(first).toMatchObject({ uploaded: 2600, incremental: false });
    const stored = (await readLive(s3store, layout))!.stored;
    expect(stored?.version === 2 && stored.root.shards.length).toBe(16);

    repo.write({ "src/d7/f7.ts": "export const v7 = 'changed';\n" });
    repo.commit("two");
    const { store, calls } = counting(s3store);
    const r = await publish(req({ store }));
    expect(r).toMatchObject({ uploaded: 1, copied: 0, deleted: 0, unchanged: 2599, files: 2600, incremental: true });
    const shardGets = calls.filter((c) => c.startsWith("get ") && c.includes("/manifests/shards/"));
    const shardPuts = calls.filter((c) => c.startsWith("put ") && c.includes("/manifests/shards/"));
    expect(shardGets).toHaveLength(1);
    expect(shardPuts).toHaveLength(1);
    expect(calls.filter((c) => c.startsWith("list"))).toEqual([]);
    expect(calls.filter((c) => c.startsWith("put app/"))).toEqual(["put app/src/d7/f7.ts"]);
    await expectSameAsFull("oracle1");
  });

  it("random edits over ten commits: every incremental publish equals a full publish of its commit", async () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const live = new Set<string>();
    const tree: Tree = {};
    for (let i = 0; i < 60; i++) {
      const p = `lib/m${i % 6}/file${i}.js`;
      tree[p] = `${i}\n`;
      live.add(p);
    }
    repo.write({ ...tree, ".gitignore": "*.tmp\n" });
    repo.commit("base");
    git = await openGit(repo.dir);
    await publish(req());
    const pick = () => [...live][rand(live.size)]!;
    for (let round = 1; round <= 10; round++) {
      const ops = 1 + rand(6);
      for (let k = 0; k < ops; k++) {
        const n = `${round}-${k}`;
        switch (rand(11)) {
          case 0: {
            const p = pick();
            repo.write({ [p]: `edited ${n}\n` });
            break;
          }
          case 1: {
            const p = pick();
            repo.remove(p);
            live.delete(p);
            break;
          }
          case 2: {
            // rename without edit: a server-side copy
            const p = pick();
            const q = `moved/${n}.js`;
            repo.write({ [q]: readFileSync(join(repo.dir, p)) });
            repo.remove(p);
            live.delete(p);
            live.add(q);
            break;
          }
          case 3: {
            const p = `new/${n}.js`;
            repo.write({ [p]: `fresh ${n}\n` });
            live.add(p);
            break;
          }
          case 4: {
            const p = pick();
            repo.git("update-index", "--chmod=+x", p);
            break;
          }
          case 5: {
            const p = `links/${n}`;
            repo.write({ [p]: { link: `../${pick()}` } });
            break;
          }
          case 6:
            repo.write({ [`node_modules/pkg${n}/index.js`]: "ignored\n" });
            break; // default exclude
          case 7:
            repo.write({ [`conf/.env.${n}`]: "SECRET=1\n" });
            break; // withheld
          case 8: {
            const p = pick();
            repo.write({ [p]: `${round % 3}\n` });
            break;
          } // content another path may have
          case 9:
            repo.remove("node_modules");
            break;
          case 10: {
            const p = `dup/${n}.js`;
            repo.write({ [p]: "1\n" });
            live.add(p);
            break;
          } // duplicate content
        }
      }
      repo.commit(`round ${round}`);
      const r = await publish(req());
      expect(r.incremental).toBe(true);
      await expectSameAsFull(`oracle-${round}`);
    }
  });

  it("a changed ignore file makes a full comparison, which applies the new rules to unchanged paths", async () => {
    repo.write({ "a.txt": "a\n", "notes.md": "n\n", "keep.js": "k\n" });
    repo.commit("one");
    git = await openGit(repo.dir);
    await publish(req());
    repo.write({ ".wspubignore": "*.md\n" });
    repo.commit("two");
    const r = await publish(req());
    expect(r).toMatchObject({ incremental: false, uploaded: 1, deleted: 1, excluded: 1 });
    expect(r.changes.deleted).toEqual(["notes.md"]);
    await expectSameAsFull("oracle");
    repo.write({ "b.md": "b\n", "c.js": "c\n" });
    repo.commit("three");
    expect(await publish(req())).toMatchObject({ incremental: true, uploaded: 1, excluded: 2 });
    await expectSameAsFull("oracle2");
  });

  it("other config excludes make a full comparison (the manifest records the filter it was made with)", async () => {
    repo.write({ "a.txt": "a\n", "b.md": "b\n" });
    repo.commit("one");
    git = await openGit(repo.dir);
    await publish(req());
    const same = await publish(req());
    expect(same).toMatchObject({ noop: true });
    const r = await publish(req({ excludes: ["*.md"] }));
    expect(r).toMatchObject({ noop: false, incremental: false, deleted: 1, excluded: 1 });
    expect(await publish(req({ excludes: ["*.md"] }))).toMatchObject({ noop: true });
    await expectSameAsFull("oracle", { excludes: ["*.md"] });
  });

  it("a monorepo workspace: changes outside it do not count, a .gitignore above it makes a full comparison", async () => {
    repo.write({
      ".gitignore": "*.tmp\n",
      "apps/www/index.html": "<p>\n",
      "apps/www/x.tmp": "t\n",
      "apps/api/a.js": "a\n",
    });
    repo.git("add", "-f", ".");
    repo.commit("one");
    git = await openGit(repo.dir);
    await publish(req({ dir: "apps/www" }));
    repo.write({ "apps/api/a.js": "a2\n", "apps/www/page.html": "<p>2\n" });
    repo.commit("two");
    expect(await publish(req({ dir: "apps/www" }))).toMatchObject({
      incremental: true,
      uploaded: 1,
      files: 2,
      excluded: 1,
    });
    await expectSameAsFull("oracle", { dir: "apps/www" });
    repo.write({ ".gitignore": "*.tmp\npage.html\n" });
    repo.commit("three");
    expect(await publish(req({ dir: "apps/www" }))).toMatchObject({
      incremental: false,
      deleted: 1,
      files: 1,
      excluded: 2,
    });
    await expect(publish(req({ dir: "apps/www", dryRun: true }))).resolves.toMatchObject({ noop: true });
  });

  it("lays the shards out again when an incremental publish grows the workspace past the layout's bounds", async () => {
    const tree: Tree = {};
    for (let i = 0; i < 500; i++) tree[`a/f${i}.txt`] = `${i}\n`;
    repo.write(tree);
    repo.commit("one");
    git = await openGit(repo.dir);
    await publish(req());
    const before = (await readLive(s3store, layout))!.stored;
    expect(before?.version === 2 && before.root.shards.length).toBe(2);
    const more: Tree = {};
    for (let i = 0; i < 600; i++) more[`b/g${i}.txt`] = `more ${i}\n`;
    repo.write(more);
    repo.commit("two");
    expect(await publish(req())).toMatchObject({ incremental: true, uploaded: 600, files: 1100 });
    const after = (await readLive(s3store, layout))!.stored;
    expect(after?.version === 2 && after.root.shards.length).toBe(8);
    await expectSameAsFull("oracle");
  });

  it("files named like Object's own members (constructor, __proto__, toString) are published, changed and deleted like any other", async () => {
    // ["__proto__"]: a computed key makes an own property (a literal __proto__: would set the prototype)
    repo.write({ constructor: "c\n", ["__proto__"]: "p\n", toString: "t\n", "d/hasOwnProperty": "h\n" });
    repo.commit("one");
    git = await openGit(repo.dir);
    await publish(req());
    await expectSameAsFull("oracle1");
    repo.remove("constructor");
    repo.write({ ["__proto__"]: "p2\n", valueOf: "v\n" });
    repo.commit("two");
    expect(await publish(req())).toMatchObject({ incremental: true, uploaded: 2, deleted: 1, files: 4 });
    await expectSameAsFull("oracle2");
    // the next publish can still read what this one wrote (integer counts in the pointer and root)
    repo.write({ "x.txt": "x\n" });
    repo.commit("three");
    expect(await publish(req())).toMatchObject({ incremental: true, uploaded: 1, files: 5 });
    await expectSameAsFull("oracle3");
  });

  it("a lost shard: verify says how to mend it, and push --force of the live commit rewrites the manifest", async () => {
    repo.write({ "a.txt": "a\n", "b.txt": "b\n" });
    const c1 = repo.commit("one");
    git = await openGit(repo.dir);
    await publish(req());
    const live = (await readLive(s3store, layout))!;
    if (live.stored?.version !== 2) throw new Error("expected a version 2 manifest");
    await s3store.deleteMany(live.stored.root.shards.map((d) => layout.shardKey(d)));
    const v = await verify(s3store, layout, { deep: false, concurrency: 4 });
    expect(v.ok).toBe(false);
    expect(v.missing[0]!.reason).toMatch(new RegExp(`wspub push --ref ${c1.slice(0, 12)} --force`));
    expect(await publish(req())).toMatchObject({ noop: true });
    expect(await publish(req({ force: true }))).toMatchObject({ noop: false, incremental: false });
    expect(await verify(s3store, layout, { deep: false, concurrency: 4 })).toMatchObject({ ok: true, checked: 2 });
  });

  it("a corrupt shard: a push says to use --force, and push --force replaces it", async () => {
    repo.write({ "a.txt": "a\n" });
    repo.commit("one");
    git = await openGit(repo.dir);
    await publish(req());
    const live = (await readLive(s3store, layout))!;
    if (live.stored?.version !== 2) throw new Error("expected a version 2 manifest");
    const body = Buffer.from("{not json");
    await s3store.put(layout.shardKey(live.stored.root.shards[0]!), body, {
      size: body.length,
      md5: digestBuffer(body).md5,
      contentType: "application/json",
      metadata: {},
    });
    repo.write({ "b.txt": "b\n" });
    repo.commit("two");
    const e = (await publish(req()).catch((x: unknown) => x)) as WspubError;
    expect(e).toBeInstanceOf(WspubError);
    expect(e.message).toMatch(/manifest shard .* is unreadable .*republish with --force/);
    expect(await publish(req({ force: true }))).toMatchObject({ incremental: false, files: 2 });
    expect(await verify(s3store, layout, { deep: true, concurrency: 4 })).toMatchObject({ ok: true, checked: 2 });
  });

  it("a diff whose paths would not fit on one git command line compares in full", async () => {
    repo.write({ "a.txt": "a\n" });
    repo.commit("one");
    git = await openGit(repo.dir);
    const dirReq = (over: Partial<PublishRequest> = {}) => req({ store: oracle, lock: false, ...over });
    await publish(dirReq());
    const long = `${"d".repeat(100)}/${"e".repeat(100)}`;
    const tree: Tree = {};
    for (let i = 0; i < 2600; i++) tree[`${long}/f${i}.txt`] = `${i}\n`; // ~540 KB of path names
    repo.write(tree);
    repo.commit("two");
    expect(await publish(dirReq())).toMatchObject({ incremental: false, uploaded: 2600, files: 2601 });
    repo.write({ [`${long}/f1.txt`]: "changed\n" });
    repo.commit("three");
    expect(await publish(dirReq())).toMatchObject({ incremental: true, uploaded: 1 });
  });

  it("names a newly committed secret it withholds, once", async () => {
    repo.write({ "a.txt": "a\n" });
    repo.commit("one");
    git = await openGit(repo.dir);
    await publish(req());
    repo.write({ ".env.local": "TOKEN=1\n", "b.txt": "b\n" });
    repo.commit("two");
    const notices: string[] = [];
    const r = await publish(req({ reporter: { event: (e) => void (e.type === "notice" && notices.push(e.message)) } }));
    expect(r).toMatchObject({ incremental: true, uploaded: 1, excluded: 1 });
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/withheld 1 secret-looking file\(s\).*\.env\.local/);
  });

  it("a symlink whose object name is taken by an unchanged file is refused, as in a full publish", async () => {
    repo.write({ "x.rclonelink": "a file\n", "y.txt": "y\n" });
    repo.commit("one");
    git = await openGit(repo.dir);
    await publish(req());
    repo.write({ x: { link: "y.txt" } });
    repo.commit("two");
    const e = (await publish(req()).catch((x: unknown) => x)) as WspubError;
    expect(e).toBeInstanceOf(WspubError);
    expect(e.message).toMatch(/same object "x.rclonelink"/);
  });

  it("rolls back (--force to an older commit) incrementally too", async () => {
    repo.write({ "a.txt": "1\n", "b.txt": "b\n" });
    const c1 = repo.commit("one");
    git = await openGit(repo.dir);
    await publish(req());
    repo.write({ "a.txt": "2\n", "c.txt": "c\n" });
    repo.commit("two");
    await publish(req());
    const r = await publish(req({ ref: c1, force: true }));
    // "1\n" is no longer in the bucket (a.txt holds "2\n"): uploaded again
    expect(r).toMatchObject({ commit: c1, incremental: true, uploaded: 1, copied: 0, deleted: 1 });
    expect(r.changes.deleted).toEqual(["c.txt"]);
    await expectSameAsFull("oracle", { ref: c1 });
  });

  it("reads a version 1 manifest left by an earlier wspub, and replaces it with a sharded one", async () => {
    repo.write({ "a.txt": "a\n", "b.txt": "b\n" });
    const c1 = repo.commit("one");
    git = await openGit(repo.dir);
    await publish(req());
    const live = (await readLive(s3store, layout))!;
    const files = (await readLiveFiles(s3store, layout, live))!;
    const v1Key = layout.manifestKey(c1, "0000000000000001");
    const v1 = serializeManifest({ version: 1, workspace: "app", commit: c1, committedAt: 1, files });
    const put = (key: string, text: string) => {
      const body = Buffer.from(text);
      return s3store.put(key, body, {
        size: body.length,
        md5: digestBuffer(body).md5,
        contentType: "application/json",
        metadata: {},
      });
    };
    await put(v1Key, v1);
    // A pointer of a wspub before version 2 (no root inside) names the version 1 manifest.
    const { root: _root, conditionalWrites: _c, lock: _lock, journal: _journal, ...v1Pointer } = live.pointer;
    await put(layout.pointerKey, JSON.stringify({ ...v1Pointer, version: 1, manifest: v1Key }));
    expect(await verify(s3store, layout, { deep: false, concurrency: 4 })).toMatchObject({ ok: true, checked: 2 });
    const r = await publish(req());
    expect(r).toMatchObject({ noop: false, uploaded: 0, deleted: 0, incremental: false });
    expect((await readLive(s3store, layout))!.stored?.version).toBe(2);
    expect(await publish(req())).toMatchObject({ noop: true });
  });
});
