// The delete guard on real git and SeaweedFS: a publish that would delete more than half of a live
// workspace (and more than 100 objects) is refused with exit 3 and the bucket exactly as it was;
// --max-delete and --force allow it; a smaller delete, or one within --max-delete, publishes.
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { openGit } from "../../src/git/cli-git.js";
import type { GitRepository } from "../../src/git/port.js";
import { createHash } from "node:crypto";
import { verify } from "../../src/inspect/verify.js";
import { publishAtomic } from "../../src/publish/atomic.js";
import { publish } from "../../src/publish/publish.js";
import type { PublishRequest } from "../../src/publish/request.js";
import { Layout } from "../../src/store/layout.js";
import type { S3Store } from "../../src/store/s3-store.js";
import { testTarget } from "../harness/layout.js";
import { publishRequest } from "../harness/publish-request.js";
import { type TempRepo, tempRepo } from "../harness/repo.js";
import { freshBucket, storeListing, useS3Credentials } from "../harness/s3-bucket.js";

const s3 = inject("s3");

useS3Credentials(s3);

describe("the delete guard (SeaweedFS)", () => {
  let repo: TempRepo;
  let git: GitRepository;
  let store: S3Store;
  const layout = new Layout(testTarget(""), "app");
  const req = (over: Partial<PublishRequest> = {}) => publishRequest({ git, store, layout, concurrency: 16 }, over);
  const listing = () => storeListing(store);
  /** `count` files under src/ and `count` under lib/ (two halves a filter mistake can take away). */
  const tree = (count: number) =>
    Object.fromEntries(
      Array.from({ length: count }, (_, i) => [
        [`src/f${i}.js`, `src ${i}\n`],
        [`lib/f${i}.js`, `lib ${i}\n`],
      ]).flat(),
    );

  beforeEach(async () => {
    repo = tempRepo();
    ({ store } = await freshBucket(s3, "guard", 16));
  });
  afterEach(async () => {
    await git?.close();
    store.close();
    repo.cleanup();
  });

  it("refuses a mistaken .wspubignore that would delete most files: exit 3, the count, how to allow it, bucket untouched", async () => {
    repo.write({ ...tree(120), "index.html": "hi\n" });
    repo.commit("one");
    git = await openGit(repo.dir);
    await publish(req());
    const before = await listing();
    repo.write({ ".wspubignore": "src/\nlib/\n" });
    const mistaken = repo.commit("exclude too much");
    for (const dryRun of [false, true]) {
      const error = await publish(req({ dryRun })).catch((e: unknown) => e);
      expect(error).toMatchObject({ exitCode: 3 });
      expect((error as Error).message).toBe(
        "refused: this publish would delete 240 of the 241 live files of app (more than half of them, and more " +
          "than 100). A damaged manifest, a wrong --ref, a filter or .wspubignore that excludes too much? Nothing " +
          "was changed. See the plan with wspub push --dry-run; if it is right, allow it with --max-delete 240 " +
          '(config "maxDelete", WSPUB_MAX_DELETE) or --force.',
      );
    }
    expect(await listing()).toEqual(before);
    // Allowed: by --max-delete at (or above) the count, or by --force.
    await expect(publish(req({ maxDelete: 239 }))).rejects.toMatchObject({ exitCode: 3 });
    expect(await publish(req({ maxDelete: 240 }))).toMatchObject({ commit: mistaken, deleted: 240, uploaded: 1 });
    repo.remove(".wspubignore");
    repo.commit("fixed");
    await publish(req());
    repo.write({ ".wspubignore": "src/\nlib/\n" });
    repo.commit("again");
    expect(await publish(req({ force: true }))).toMatchObject({ deleted: 240 });
  });

  it("a delete of half the files or fewer, or of 100 or fewer, publishes; --max-delete is a limit of its own", async () => {
    repo.write(tree(110));
    repo.commit("one");
    git = await openGit(repo.dir);
    await publish(req());
    // 110 of 220: half, not more than half.
    repo.remove("src");
    repo.commit("remove src");
    expect(await publish(req())).toMatchObject({ deleted: 110 });
    // 100 of 110: more than half, but not more than 100.
    repo.remove(...Array.from({ length: 100 }, (_, i) => `lib/f${i}.js`));
    repo.commit("remove most of lib");
    expect(await publish(req())).toMatchObject({ deleted: 100 });
    // --max-delete below the default rule: 5 of 10 is refused at --max-delete 4.
    repo.remove(...Array.from({ length: 5 }, (_, i) => `lib/f${100 + i}.js`));
    repo.commit("remove five");
    const error = await publish(req({ maxDelete: 4 })).catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: 3 });
    expect((error as Error).message).toMatch(/would delete 5 of the 10 live files of app \(more than --max-delete 4\)/);
  });

  it("an atomic workspace: --force lifts the guard, and the publish after an allowed mass delete is not refused", async () => {
    repo.write(tree(120));
    repo.commit("one");
    git = await openGit(repo.dir);
    await publishAtomic(req({ atomic: true }));
    repo.write({ "extra.js": "x\n" });
    repo.commit("two");
    await publishAtomic(req({ atomic: true })); // both slots hold a whole tree now
    repo.remove("src", ...Array.from({ length: 20 }, (_, i) => `lib/f${i}.js`));
    repo.commit("remove src and more");
    await expect(publishAtomic(req({ atomic: true }))).rejects.toMatchObject({ exitCode: 3 });
    expect(await publishAtomic(req({ atomic: true, force: true }))).toMatchObject({ noop: false });
    // The next commit adds one file: the slot it writes still holds the tree before the deletes, but
    // readers lose nothing, and the guard measures what they lose.
    repo.write({ "new.js": "new\n" });
    repo.commit("add one");
    expect(await publishAtomic(req({ atomic: true }))).toMatchObject({ noop: false });
    expect(await verify(store, layout, { deep: false, concurrency: 8 })).toMatchObject({ ok: true });
  });

  it("a first publish over a prefix of other objects is measured against them", async () => {
    // 250 objects there, of which the commit has 130: 120 deletes, under half: published.
    const body = (i: number) => Buffer.from(`old ${i}\n`);
    for (let i = 0; i < 250; i++) {
      const b = body(i);
      const md5 = createHash("md5").update(b).digest("base64");
      await store.put(`app/f${i}.txt`, b, { size: b.length, md5, contentType: "text/plain", metadata: {} });
    }
    repo.write(Object.fromEntries(Array.from({ length: 130 }, (_, i) => [`f${i}.txt`, `new ${i}\n`])));
    repo.commit("one");
    git = await openGit(repo.dir);
    expect(await publish(req())).toMatchObject({ deleted: 120, uploaded: 130 });
  });

  it("a first publish over a prefix full of other objects is guarded too", async () => {
    for (let i = 0; i < 150; i++) {
      await store.put(`app/old/${i}.txt`, Buffer.from("x"), {
        size: 1,
        md5: "ndTkYSaMgDT1yFZOFVxnpg==",
        contentType: "text/plain",
        metadata: {},
      });
    }
    repo.write({ "index.html": "hi\n" });
    repo.commit("one");
    git = await openGit(repo.dir);
    await expect(publish(req())).rejects.toThrow(/would delete 150 of the 150 live files of app/);
    expect(await publish(req({ maxDelete: 150 }))).toMatchObject({ deleted: 150, uploaded: 1 });
  });
});
