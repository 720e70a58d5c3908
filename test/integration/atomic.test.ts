import { createHash } from "node:crypto";
// Atomic workspaces (--atomic) on real git and SeaweedFS: the link alternates between two slots,
// the slot the link names is never written, and a workspace moves into and out of the mode.
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { openGit } from "../../src/git/cli-git.js";
import type { GitReader } from "../../src/git/port.js";
import { verify } from "../../src/inspect/verify.js";
import { readLive } from "../../src/manifest/live.js";
import { publishAtomic } from "../../src/publish/atomic.js";
import { readLink, writeLink } from "../../src/publish/link.js";
import { publish } from "../../src/publish/publish.js";
import type { PublishRequest } from "../../src/publish/request.js";
import { Layout } from "../../src/store/layout.js";
import type { S3Store } from "../../src/store/s3-store.js";
import { layoutOf } from "../harness/layout.js";
import { publishRequest } from "../harness/publish-request.js";
import { recordingPuts } from "../harness/recorded-puts.js";
import { type TempRepo, tempRepo } from "../harness/repo.js";
import { freshBucket, useS3Credentials } from "../harness/s3-bucket.js";

const s3 = inject("s3");

useS3Credentials(s3);

describe("atomic workspaces (SeaweedFS S3)", () => {
  let repo: TempRepo;
  let git: GitReader;
  let store: S3Store;
  const layout = layoutOf("app");
  const req = (over: Partial<PublishRequest> = {}): PublishRequest =>
    publishRequest({ git, store, layout, concurrency: 8 }, { atomic: true, ...over });

  /** Every object under a prefix, name -> body. */
  async function objects(prefix: string): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for await (const o of store.list(prefix)) out[o.key.slice(prefix.length)] = (await store.get(o.key))!.toString();
    return out;
  }
  const slotFiles = (l: Layout, slot: "a" | "b") => objects(l.slot(slot).filesPrefix);
  const ok = async (l: Layout) =>
    expect(await verify(store, l, { deep: true, concurrency: 4 })).toMatchObject({ ok: true });

  beforeEach(async () => {
    repo = tempRepo();
    ({ store } = await freshBucket(s3, "atomic", 8));
  });
  afterEach(async () => {
    await git?.close();
    store.close();
    repo.cleanup();
  });

  it("alternates the link between two slots, each a whole commit, and never writes the live one", async () => {
    repo.write({ "a.txt": "one\n", "dir/x.txt": "x\n", link: { link: "a.txt" } });
    const c1 = repo.commit("one");
    git = await openGit(repo.dir);
    const first = await publishAtomic(req());
    expect(first).toMatchObject({ commit: c1, uploaded: 3, noop: false, previous: null });
    expect(await readLink(store, layout)).toBe("a");
    expect(await store.get(layout.linkKey).then(String)).toBe(".wspub-slots/app/a");
    expect(await slotFiles(layout, "a")).toEqual({ "a.txt": "one\n", "dir/x.txt": "x\n", "link.rclonelink": "a.txt" });
    expect(await objects(layout.filesPrefix)).toEqual({});
    expect((await readLive(store, layout))?.pointer).toMatchObject({ commit: c1, slot: "a", files: 3 });
    await ok(layout);

    repo.write({ "a.txt": "two\n", "y.txt": "y\n" });
    repo.remove("dir/x.txt");
    const c2 = repo.commit("two", { all: true });
    const second = await publishAtomic(req());
    expect(second).toMatchObject({ commit: c2, previous: c1 });
    expect(await readLink(store, layout)).toBe("b");
    expect(await slotFiles(layout, "b")).toEqual({ "a.txt": "two\n", "link.rclonelink": "a.txt", "y.txt": "y\n" });
    expect(await slotFiles(layout, "a")).toEqual({ "a.txt": "one\n", "dir/x.txt": "x\n", "link.rclonelink": "a.txt" });
    await ok(layout);

    // The third publish applies two commits' changes to slot a (it held c1).
    repo.write({ "a.txt": "three\n" });
    const c3 = repo.commit("three", { all: true });
    const third = await publishAtomic(req());
    expect(third).toMatchObject({ commit: c3, previous: c2, uploaded: 2, deleted: 1, incremental: true });
    expect(await readLink(store, layout)).toBe("a");
    expect(await slotFiles(layout, "a")).toEqual({ "a.txt": "three\n", "link.rclonelink": "a.txt", "y.txt": "y\n" });
    expect(await publishAtomic(req())).toMatchObject({ noop: true });

    // A rollback to the commit before last finds it in the idle slot: the flip alone.
    const back = await publishAtomic(req({ ref: c2, force: true }));
    expect(back).toMatchObject({ commit: c2, previous: c3, uploaded: 0, deleted: 0 });
    expect(await readLink(store, layout)).toBe("b");
    expect((await readLive(store, layout))?.pointer).toMatchObject({ commit: c2, slot: "b" });
    await ok(layout);
  });

  it("trusts the link over the pointer: a publish that died after the flip's PUT leaves the linked slot alone", async () => {
    repo.write({ "a.txt": "one\n" });
    repo.commit("one");
    git = await openGit(repo.dir);
    await publishAtomic(req());
    repo.write({ "a.txt": "two\n" });
    repo.commit("two", { all: true });
    await publishAtomic(req());
    expect(await readLink(store, layout)).toBe("b");
    // As if a publish had flipped the link to slot a and died before moving the pointer.
    await writeLink(store, layout, "a", 0);
    const drift = await verify(store, layout, { deep: false, concurrency: 4 });
    expect(drift).toMatchObject({ ok: false, atomic: { slot: "b", link: "a", inPlace: [] } });
    const before = await slotFiles(layout, "a");
    repo.write({ "a.txt": "three\n" });
    const c3 = repo.commit("three", { all: true });
    await publishAtomic(req());
    expect(await slotFiles(layout, "a")).toEqual(before);
    expect(await readLink(store, layout)).toBe("b");
    expect(await slotFiles(layout, "b")).toEqual({ "a.txt": "three\n" });
    expect((await readLive(store, layout))?.pointer).toMatchObject({ commit: c3, slot: "b" });
    await ok(layout);
  });

  it("moves a live workspace into atomic mode and out of it again", async () => {
    repo.write({ "a.txt": "one\n", "b/c.txt": "c\n" });
    repo.commit("one");
    git = await openGit(repo.dir);
    await publish(req({ atomic: false }));
    expect(await objects(layout.filesPrefix)).toEqual({ "a.txt": "one\n", "b/c.txt": "c\n" });

    repo.write({ "a.txt": "two\n" });
    const c2 = repo.commit("two", { all: true });
    expect(await publishAtomic(req())).toMatchObject({ commit: c2, uploaded: 2 });
    expect(await objects(layout.filesPrefix)).toEqual({});
    expect(await slotFiles(layout, "a")).toEqual({ "a.txt": "two\n", "b/c.txt": "c\n" });
    await ok(layout);

    repo.write({ "a.txt": "three\n" });
    const c3 = repo.commit("three", { all: true });
    const out = await publish(req({ atomic: false }));
    expect(out).toMatchObject({ commit: c3, previous: c2, uploaded: 2 });
    expect(await objects(layout.filesPrefix)).toEqual({ "a.txt": "three\n", "b/c.txt": "c\n" });
    expect(await store.get(layout.linkKey)).toBeUndefined();
    for (const prefix of layout.slotPrefixes) expect(await objects(prefix)).toEqual({});
    expect((await readLive(store, layout))?.pointer).toMatchObject({ commit: c3, slot: null });
    await ok(layout);
    expect(await publish(req({ atomic: false }))).toMatchObject({ noop: true });
  });

  it("a dry run plans against the slot it would write and writes nothing", async () => {
    repo.write({ "a.txt": "one\n" });
    repo.commit("one");
    git = await openGit(repo.dir);
    await publishAtomic(req());
    repo.write({ "a.txt": "two\n", "b.txt": "b\n" });
    repo.commit("two", { all: true });
    const all = async () => objects("");
    const before = await all();
    // Slot b is empty: the whole commit would be uploaded there.
    expect(await publishAtomic(req({ dryRun: true }))).toMatchObject({ dryRun: true, uploaded: 2, manifest: null });
    expect(await all()).toEqual(before);
  });

  it("the s3fs layout: the link is an object at <name> with a symlink mode, above markers; switching in removes <name>/ first", async () => {
    const s3fs = new Layout(layout.target, "app", "s3fs");
    const { store: recording, puts } = recordingPuts(store);
    repo.write({ "a.txt": "one\n", "d/b.txt": "b\n" });
    repo.commit("one");
    git = await openGit(repo.dir);
    await publish(req({ layout: s3fs, atomic: false }));
    expect(Object.keys(await objects("app/")).sort()).toEqual(["", "a.txt", "d/", "d/b.txt"]);

    repo.write({ "a.txt": "two\n" });
    const c2 = repo.commit("two", { all: true });
    await publishAtomic(req({ layout: s3fs, store: recording }));
    expect(await objects("app/")).toEqual({});
    expect((await store.get("app"))?.toString()).toBe(".wspub-slots/app/a");
    expect(puts.find((p) => p.key === "app")).toMatchObject({ mode: "41471" });
    const markers = puts.filter((p) => p.key.endsWith("/")).map((p) => p.key);
    expect(markers).toEqual(
      expect.arrayContaining([".wspub-slots/", ".wspub-slots/app/", ".wspub-slots/app/a/", ".wspub-slots/app/a/d/"]),
    );
    expect(await verify(store, layout, { deep: true, concurrency: 4 })).toMatchObject({
      ok: true,
      commit: c2,
      atomic: { slot: "a", link: "ok", style: "s3fs" },
    });

    repo.write({ "a.txt": "three\n" });
    repo.commit("three", { all: true });
    await publishAtomic(req({ layout: s3fs }));
    expect((await store.get("app"))?.toString()).toBe(".wspub-slots/app/b");
    // An atomic workspace changes layout in place only.
    await expect(publishAtomic(req())).rejects.toThrow(/atomic in the s3fs layout: change its layout in place first/);
    // Out of atomic mode: the link object goes before the files under app/ are written.
    repo.write({ "a.txt": "four\n" });
    repo.commit("four", { all: true });
    await publish(req({ layout: s3fs, atomic: false }));
    expect(await store.get("app")).toBeUndefined();
    expect(Object.keys(await objects("app/")).sort()).toEqual(["", "a.txt", "d/", "d/b.txt"]);
    await ok(s3fs);
  });

  it("verify --repair's parts: a missing link and files left in place are found", async () => {
    repo.write({ "a.txt": "one\n" });
    repo.commit("one");
    git = await openGit(repo.dir);
    await publishAtomic(req());
    await store.deleteMany([layout.linkKey]);
    await store.put(layout.objectKey("stray.txt"), Buffer.from("s"), {
      size: 1,
      md5: createHash("md5").update("s").digest("base64"),
      contentType: "text/plain",
      metadata: {},
    });
    expect(await verify(store, layout, { deep: false, concurrency: 4 })).toMatchObject({
      ok: false,
      atomic: { slot: "a", link: "missing", inPlace: ["stray.txt"] },
    });
    // The next publish puts both right.
    repo.write({ "a.txt": "two\n" });
    repo.commit("two", { all: true });
    await publishAtomic(req());
    expect(await objects(layout.filesPrefix)).toEqual({});
    await ok(layout);
  });
});
