// The s3fs layout (--layout s3fs) on real git and SeaweedFS: symlinks as objects at their path
// with a symlink mode, a directory marker for every directory (and the workspace's own), kept
// right by incremental publishes (a directory that appears gets one, one that empties loses it),
// known to verify and repair, and a live workspace converted when its layout changes.
import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { repair } from "../../src/inspect/repair.js";
import { verify } from "../../src/inspect/verify.js";
import { openGit } from "../../src/git/cli-git.js";
import type { GitReader } from "../../src/git/port.js";
import { publish } from "../../src/publish/publish.js";
import type { PublishRequest } from "../../src/publish/request.js";
import { Layout, type LayoutStyle } from "../../src/store/layout.js";
import type { S3Store } from "../../src/store/s3-store.js";
import { silentReporter } from "../../src/events.js";
import { testTarget } from "../harness/layout.js";
import { publishRequest } from "../harness/publish-request.js";
import { recordingPuts } from "../harness/recorded-puts.js";
import { type TempRepo, tempRepo } from "../harness/repo.js";
import { s3Client } from "../harness/seaweed.js";
import { freshBucket, useS3Credentials } from "../harness/s3-bucket.js";

const s3 = inject("s3");

useS3Credentials(s3);

describe("the s3fs layout (SeaweedFS S3)", () => {
  let repo: TempRepo;
  let git: GitReader;
  let store: S3Store;
  let client: S3Client;
  let bucket: string;
  const layoutIn = (style: LayoutStyle, name = "app") => new Layout(testTarget(""), name, style);
  const req = (style: LayoutStyle, over: Partial<PublishRequest> = {}): PublishRequest =>
    publishRequest({ git, store, layout: layoutIn(style), concurrency: 8 }, over);
  const ok = async (style: LayoutStyle, name = "app") =>
    expect(await verify(store, layoutIn(style, name), { deep: true, concurrency: 4 })).toMatchObject({ ok: true });

  /** Object names under the workspace, with a marker's or symlink's mode, and a symlink's body. */
  async function objects(name = "app"): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for await (const o of store.list(`${name}/`)) {
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: o.key }));
      const mode = head.Metadata?.["mode"];
      const rel = o.key.slice(name.length + 1);
      // (SeaweedFS keeps a `dir/` object as a directory of its own and drops its metadata; MinIO and
      // AWS keep it: what wspub sends is checked on the requests themselves.)
      if (rel === "" || rel.endsWith("/")) out[rel] = `dir ${o.size}`;
      else if (mode === "41471") out[rel] = `link -> ${(await store.get(o.key))!.toString()}`;
      else out[rel] = `file ${mode}`;
    }
    return out;
  }

  beforeEach(async () => {
    repo = tempRepo();
    ({ bucket, store } = await freshBucket(s3, "s3fs", 8));
    client = s3Client(s3);
  });
  afterEach(async () => {
    await git?.close();
    store.close();
    client.destroy();
    repo.cleanup();
  });

  it("writes symlinks at their path and a marker per directory, then keeps the markers right incrementally", async () => {
    repo.write({
      "index.html": "<h1>hi</h1>\n",
      "bin/run.sh": { content: "#!/bin/sh\n", mode: 0o755 },
      "src/lib/util.js": "u\n",
      "src/app.js": "a\n",
      link: { link: "src/app.js" },
    });
    repo.commit("one");
    git = await openGit(repo.dir);
    const { store: recording, puts } = recordingPuts(store);
    expect(await publish(req("s3fs", { store: recording }))).toMatchObject({ uploaded: 5 });
    const marker = { mode: "16877", type: "application/x-directory", size: 0 };
    expect(puts.filter((p) => p.key.endsWith("/")).sort((a, b) => (a.key < b.key ? -1 : 1))).toEqual(
      ["app/", "app/bin/", "app/src/", "app/src/lib/"].map((key) => ({ key, ...marker })),
    );
    expect(puts.find((p) => p.key === "app/link")).toMatchObject({ mode: "41471" });
    expect(await objects()).toEqual({
      "": "dir 0",
      "bin/": "dir 0",
      "bin/run.sh": "file 33261",
      "index.html": "file 33188",
      link: "link -> src/app.js",
      "src/": "dir 0",
      "src/app.js": "file 33188",
      "src/lib/": "dir 0",
      "src/lib/util.js": "file 33188",
    });
    await ok("s3fs");

    // A new nested directory gets its markers; a directory that empties loses its own (and only it).
    repo.write({ "new/deep/x.txt": "x\n" });
    repo.remove("src/lib/util.js");
    repo.commit("two", { all: true });
    expect(await publish(req("s3fs"))).toMatchObject({ incremental: true, uploaded: 1, deleted: 1 });
    const two = await objects();
    expect(Object.keys(two).filter((k) => k.endsWith("/") || k === "")).toEqual([
      "",
      "bin/",
      "new/",
      "new/deep/",
      "src/",
    ]);
    await ok("s3fs");

    // A rename of a whole directory: the old one's marker goes, the new one's comes.
    repo.git("mv", "new", "renamed");
    repo.commit("three", { all: true });
    await publish(req("s3fs"));
    const three = await objects();
    expect(Object.keys(three).filter((k) => k.endsWith("/") || k === "")).toEqual([
      "",
      "bin/",
      "renamed/",
      "renamed/deep/",
      "src/",
    ]);
    await ok("s3fs");
  });

  it("every marker of a wide, deep first publish is there (written before what is below it)", async () => {
    const tree: Record<string, string> = {};
    for (let i = 0; i < 40; i++) tree[`d${i}/e${i}/f${i}/file.txt`] = `${i}\n`;
    repo.write(tree);
    repo.commit("wide");
    git = await openGit(repo.dir);
    await publish(req("s3fs"));
    const markers = Object.keys(await objects()).filter((k) => k === "" || k.endsWith("/"));
    expect(markers).toHaveLength(1 + 3 * 40);
    await ok("s3fs");
  });

  it("verify finds a missing and an extra marker; repair writes and deletes them", async () => {
    repo.write({ "a/b/c.txt": "c\n" });
    repo.commit("one");
    git = await openGit(repo.dir);
    await publish(req("s3fs"));
    await store.deleteMany(["app/a/"]);
    await store.put("app/zzz/", Buffer.alloc(0), {
      size: 0,
      md5: "1B2M2Y8AsgTpgAmY7PhCfg==",
      contentType: "application/x-directory",
      metadata: { mode: "16877" },
    });
    const drift = await verify(store, layoutIn("s3fs"), { deep: false, concurrency: 4 });
    expect(drift).toMatchObject({
      ok: false,
      missing: [{ object: "a/", reason: "directory marker" }],
      unexpected: ["zzz/"],
    });
    const holder = "tester";
    const repaired = await repair(
      { git, dir: "", store, layout: layoutIn("s3fs"), reporter: silentReporter, env: {}, concurrency: 4, holder },
      drift,
    );
    expect(repaired).toEqual({ rewritten: 1, deleted: 1 });
    await ok("s3fs");
    expect((await objects())["a/"]).toBe("dir 0");
  });

  it("converts a live workspace from rclone's layout to s3fs's and back", async () => {
    repo.write({ "a.txt": "a\n", "d/b.txt": "b\n", "d/l": { link: "b.txt" } });
    repo.commit("one");
    git = await openGit(repo.dir);
    await publish(req("rclone"));
    expect(Object.keys(await objects()).sort()).toEqual(["a.txt", "d/b.txt", "d/l.rclonelink"]);

    // Same commit, other layout: not a no-op; files kept, the symlink moves, markers come.
    const toS3fs = await publish(req("s3fs"));
    expect(toS3fs).toMatchObject({ noop: false, incremental: false, uploaded: 1, deleted: 1 });
    expect(await objects()).toEqual({
      "": "dir 0",
      "a.txt": "file 33188",
      "d/": "dir 0",
      "d/b.txt": "file 33188",
      "d/l": "link -> b.txt",
    });
    await ok("s3fs");
    expect(await publish(req("s3fs"))).toMatchObject({ noop: true });

    const back = await publish(req("rclone"));
    expect(back).toMatchObject({ noop: false, uploaded: 1 });
    expect(Object.keys(await objects()).sort()).toEqual(["a.txt", "d/b.txt", "d/l.rclonelink"]);
    await ok("rclone");
  });
});
