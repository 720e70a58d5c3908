// Git LFS on real git-lfs (a bare file:// remote), real git and SeaweedFS: LFS files are published
// as their content, from a clone that has it or one made without it (fetched for just the files
// published), incrementally (a changed LFS file is one upload), verified, repaired, and refused
// with the bucket untouched when the content is nowhere.
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import type { PublishEvent, Reporter } from "../../src/events.js";
import { buildPublishSet } from "../../src/filter/publish-set.js";
import { openGit } from "../../src/git/cli-git.js";
import type { GitRepository } from "../../src/git/port.js";
import { repair } from "../../src/inspect/repair.js";
import { verify } from "../../src/inspect/verify.js";
import { publish } from "../../src/publish/publish.js";
import type { PublishRequest } from "../../src/publish/request.js";
import { Layout } from "../../src/store/layout.js";
import type { S3Store } from "../../src/store/s3-store.js";
import { testTarget } from "../harness/layout.js";
import { binary, hasLfsObject, type LfsWorld, lfsWorld } from "../harness/lfs.js";
import { publishRequest } from "../harness/publish-request.js";
import { recordingPuts } from "../harness/recorded-puts.js";
import type { TempRepo } from "../harness/repo.js";
import { s3Client } from "../harness/seaweed.js";
import { freshBucket, storeListing, useS3Credentials } from "../harness/s3-bucket.js";

const s3 = inject("s3");

useS3Credentials(s3);

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const md5 = (b: Buffer) => createHash("md5").update(b).digest("base64");

describe("Git LFS content (git-lfs, file:// remote, SeaweedFS)", () => {
  let world: LfsWorld;
  let store: S3Store;
  let bucket: string;
  const gits: GitRepository[] = [];
  const layout = new Layout(testTarget(""), "app");
  const model = binary(200_000);
  const font = binary(30_000);

  /** A reporter that keeps the notices. */
  function noticing(): { reporter: Reporter; notices: string[] } {
    const notices: string[] = [];
    const event = (e: PublishEvent) => {
      if (e.type === "notice") notices.push(e.message);
    };
    return { reporter: { event }, notices };
  }
  async function gitOf(repo: TempRepo): Promise<GitRepository> {
    const git = await openGit(repo.dir);
    gits.push(git);
    return git;
  }
  const req = (git: GitRepository, over: Partial<PublishRequest> = {}) =>
    publishRequest({ git, store, layout, concurrency: 8 }, over);
  const listing = () => storeListing(store);

  beforeEach(async () => {
    world = lfsWorld();
    world.source.write({
      "app.js": "console.log('hi')\n",
      "assets/model.bin": model.body,
      "assets/font.bin": font.body,
      ".wspubignore": "raw/\n",
      "raw/dataset.bin": binary(50_000).body,
    });
    world.commitAndPush("one");
    ({ bucket, store } = await freshBucket(s3, "lfs", 8));
  });
  afterEach(async () => {
    for (const git of gits.splice(0)) await git.close();
    store.close();
    world.cleanup();
  });

  it("publishes the content (not the pointer) from a clone that has it, with the content's size, digests and type", async () => {
    const clone = world.clone(true);
    const git = await gitOf(clone);
    const { store: recording, puts } = recordingPuts(store);
    const { reporter, notices } = noticing();
    const r = await publish(req(git, { store: recording, reporter }));
    expect(r).toMatchObject({ uploaded: 5, files: 5, excluded: 1 });
    expect(notices.filter((n) => /fetch/.test(n))).toEqual([]); // the content was there: nothing fetched
    expect(await store.get("app/assets/model.bin")).toEqual(model.body);
    expect(await store.get("app/assets/font.bin")).toEqual(font.body);
    expect(puts.find((p) => p.key === "app/assets/model.bin")).toMatchObject({
      size: 200_000,
      type: "application/octet-stream",
    });
    const client = s3Client(s3);
    try {
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: "app/assets/model.bin" }));
      expect(head).toMatchObject({ ContentLength: 200_000, ContentType: "application/octet-stream" });
      expect(head.Metadata?.["md5chksum"]).toBe(md5(model.body));
    } finally {
      client.destroy();
    }
    expect(await verify(store, layout, { deep: true, concurrency: 4 })).toMatchObject({ ok: true });

    // The manifest records the content: its SHA-256 is the pointer's oid, its id the lfs: one.
    const set = await buildPublishSet(git, "HEAD", "");
    const file = set.files.find((f) => f.path === "assets/model.bin")!;
    expect(file).toMatchObject({ oid: `lfs:${model.sha256}`, size: 200_000, pointer: expect.any(String) });
    expect(set.files.find((f) => f.path === "app.js")!.oid).toMatch(/^[0-9a-f]{40}$/);
  });

  it("from a clone made without LFS content: fetches just the objects it publishes, then publishes them", async () => {
    const clone = world.clone(false);
    expect(clone.git("show", "HEAD:assets/model.bin")).toMatch(/^version https:\/\/git-lfs/);
    expect(hasLfsObject(clone, model.sha256)).toBe(false);
    const git = await gitOf(clone);
    const { reporter, notices } = noticing();
    expect(await publish(req(git, { reporter }))).toMatchObject({ uploaded: 5 });
    expect(notices).toContain("fetching the content of 2 Git LFS file(s) (git lfs fetch)");
    expect(await store.get("app/assets/model.bin")).toEqual(model.body);
    // The excluded raw/dataset.bin was not downloaded.
    const datasetOid = /oid sha256:([0-9a-f]{64})/.exec(clone.git("show", "HEAD:raw/dataset.bin"))![1]!;
    expect(hasLfsObject(clone, model.sha256) && hasLfsObject(clone, font.sha256)).toBe(true);
    expect(hasLfsObject(clone, datasetOid)).toBe(false);
    expect(await verify(store, layout, { deep: true, concurrency: 4 })).toMatchObject({ ok: true });
  });

  it("a changed LFS file republishes as one upload; the unchanged one is neither read nor fetched", async () => {
    const clone = world.clone(false);
    const git = await gitOf(clone);
    await publish(req(git));
    const next = binary(120_000);
    world.source.write({ "assets/model.bin": next.body });
    world.commitAndPush("two");
    clone.git("pull", "-q", "--ff-only");
    // A fresh clone store for the second publish: only the changed object may be fetched.
    rmSync(join(clone.dir, ".git", "lfs", "objects"), { recursive: true, force: true });
    const { store: recording, puts } = recordingPuts(store);
    const r = await publish(req(git, { store: recording }));
    expect(r).toMatchObject({ incremental: true, uploaded: 1, copied: 0, deleted: 0, bytesUploaded: 120_000 });
    expect(puts.filter((p) => !p.key.startsWith(".wspub/")).map((p) => p.key)).toEqual(["app/assets/model.bin"]);
    expect(hasLfsObject(clone, next.sha256)).toBe(true);
    expect(hasLfsObject(clone, font.sha256)).toBe(false);
    expect(await store.get("app/assets/model.bin")).toEqual(next.body);
    expect(await verify(store, layout, { deep: true, concurrency: 4 })).toMatchObject({ ok: true });
  });

  it("content that is nowhere: a clear error naming the file, and the bucket untouched", async () => {
    const clone = world.clone(false);
    const git = await gitOf(clone);
    await publish(req(git));
    const before = await listing();
    // A pointer to content no clone and no remote has (committed by someone who never pushed it).
    const ghost = sha256(Buffer.from("never pushed"));
    clone.write({ "assets/ghost.bin": `version https://git-lfs.github.com/spec/v1\noid sha256:${ghost}\nsize 12\n` });
    clone.commit("ghost");
    const error = await publish(req(git)).catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: 2 });
    expect((error as Error).message).toMatch(/"assets\/ghost\.bin" \(Git LFS files\) is not in this clone/);
    expect((error as Error).message).toMatch(/remote missing object|git lfs push --all origin/);
    expect((error as Error).message).toMatch(/Nothing was written/);
    expect(await listing()).toEqual(before);
  });

  it('"lfs": "pointers" publishes the pointer files; switching to content replaces them', async () => {
    const clone = world.clone(false);
    const git = await gitOf(clone);
    expect(await publish(req(git, { lfs: "pointers" }))).toMatchObject({ uploaded: 5 });
    const pointer = (await store.get("app/assets/model.bin"))!.toString();
    expect(pointer).toBe(clone.git("show", "HEAD:assets/model.bin"));
    expect(hasLfsObject(clone, model.sha256)).toBe(false); // nothing fetched for pointers
    // Content now (as after upgrading from a wspub that published pointers): the filter differs, the
    // whole tree is compared, and the LFS files are uploaded as their content.
    const r = await publish(req(git));
    expect(r).toMatchObject({ incremental: false, uploaded: 2, copied: 0 });
    expect(await store.get("app/assets/model.bin")).toEqual(model.body);
    expect(await verify(store, layout, { deep: true, concurrency: 4 })).toMatchObject({ ok: true });
  });

  it("verify --repair puts lost LFS content back, fetching it when the clone lacks it", async () => {
    const clone = world.clone(false);
    const git = await gitOf(clone);
    await publish(req(git));
    await store.deleteMany(["app/assets/font.bin"]);
    rmSync(join(clone.dir, ".git", "lfs", "objects"), { recursive: true, force: true });
    const drift = await verify(store, layout, { deep: false, concurrency: 4 });
    expect(drift.missing.map((d) => d.path)).toEqual(["assets/font.bin"]);
    const options = { git, dir: "", store, layout, env: {}, concurrency: 4, holder: "tester" };
    expect(await repair({ ...options, reporter: noticing().reporter }, drift)).toEqual({ rewritten: 1, deleted: 0 });
    expect(await store.get("app/assets/font.bin")).toEqual(font.body);
    expect(await verify(store, layout, { deep: true, concurrency: 4 })).toMatchObject({ ok: true });
  });

  it("a monorepo workspace, a .lfsconfig fetchexclude and a truncated object: exactly the published files are fetched", async () => {
    const web = binary(40_000);
    world.source.write({
      "apps/web/logo.bin": web.body,
      "apps/web/index.html": "<h1>web</h1>\n",
      // A repository may keep git-lfs from fetching some paths by default: not wspub's fetch.
      ".lfsconfig": "[lfs]\n\tfetchexclude = apps/**\n",
    });
    world.commitAndPush("web");
    const clone = world.clone(false);
    const git = await gitOf(clone);
    const webLayout = new Layout(testTarget(""), "web");
    const r = await publish(publishRequest({ git, store, layout: webLayout, concurrency: 8 }, { dir: "apps/web" }));
    expect(r).toMatchObject({ uploaded: 2 });
    expect(await store.get("web/logo.bin")).toEqual(web.body);
    expect(hasLfsObject(clone, model.sha256)).toBe(false); // another workspace's file: not fetched
    // An object cut short in the store (an interrupted copy) is fetched again, not published short.
    const stored = join(
      clone.dir,
      ".git",
      "lfs",
      "objects",
      web.sha256.slice(0, 2),
      web.sha256.slice(2, 4),
      web.sha256,
    );
    // (A new file: git-lfs's file:// transfer hard-links the store to the remote's, which must stay whole.)
    rmSync(stored);
    writeFileSync(stored, web.body.subarray(0, 1000));
    const again = new Layout(testTarget(""), "web-again");
    await publish(publishRequest({ git, store, layout: again, concurrency: 8 }, { dir: "apps/web" }));
    expect(await store.get("web-again/logo.bin")).toEqual(web.body);
  });

  // A read-only bind mount needs root (the machine CI runs on runs the tests as root).
  it.skipIf(process.getuid?.() !== 0)(
    "a clone mounted read-only that lacks the content: exit 2, saying the store cannot be written",
    async () => {
      const clone = world.clone(false);
      const readOnly = mkdtempSync(join(tmpdir(), "wspub-ro-"));
      execFileSync("mount", ["--bind", clone.dir, readOnly]);
      try {
        execFileSync("mount", ["-o", "remount,bind,ro", readOnly]);
        const git = await openGit(readOnly);
        gits.push(git);
        const error = await publish(req(git)).catch((e: unknown) => e);
        expect(error).toMatchObject({ exitCode: 2 });
        expect((error as Error).message).toMatch(/git lfs fetch cannot write its LFS store .*Mount the clone writable/);
        expect(await listing()).toEqual([]);
      } finally {
        for (const git of gits.splice(0)) await git.close();
        execFileSync("umount", [readOnly]);
        rmSync(readOnly, { recursive: true, force: true });
      }
    },
  );

  it("streams a large LFS object (past the multipart threshold) and checks it against its id", async () => {
    const big = binary(9 * 1024 * 1024);
    world.source.write({ "assets/big.bin": big.body });
    world.commitAndPush("big");
    const clone = world.clone(false);
    const git = await gitOf(clone);
    expect(await publish(req(git))).toMatchObject({ uploaded: 6 });
    expect(sha256((await store.get("app/assets/big.bin"))!)).toBe(big.sha256);
    expect(await verify(store, layout, { deep: true, concurrency: 4 })).toMatchObject({ ok: true });
  });
});
