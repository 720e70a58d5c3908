// Preview workspaces and removing workspaces, on real git and SeaweedFS: a branch published as
// `<name>--<branch>` never touches the workspace itself; ls says which workspaces are previews;
// prune removes the previews whose branch is gone (local and remote-tracking branches count), and
// only this repository's; delete removes one workspace, in place or atomic, and nothing of
// another (`app` beside `apple` and `app--x`); a removal cut short leaves a workspace that the next
// publish rebuilds in full.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { listTarget } from "../../src/app/list.js";
import { pushWorkspaces } from "../../src/app/push.js";
import { deletePreviews, deleteWorkspace, prunePreviews } from "../../src/app/remove.js";
import { silentReporter } from "../../src/events.js";
import { verifyWorkspace } from "../../src/app/verify.js";
import { Lease } from "../../src/lock/lease.js";
import { removeWorkspace } from "../../src/publish/remove.js";
import { Layout } from "../../src/store/layout.js";
import type { S3Store } from "../../src/store/s3-store.js";
import { testTarget } from "../harness/layout.js";
import { type TempRepo, tempRepo } from "../harness/repo.js";
import { freshBucket, useS3Credentials } from "../harness/s3-bucket.js";

const s3 = inject("s3");

useS3Credentials(s3);

describe("previews, prune and delete (SeaweedFS)", () => {
  let base: string;
  let repo: TempRepo;
  let bucket: string;
  let store: S3Store;
  const common = () => ({
    cwd: repo.dir,
    env: { WSPUB_ACTOR: "tester" },
    store: { target: `s3://${bucket}`, endpoint: s3.endpoint },
    reporter: silentReporter,
  });
  const push = (over: Partial<Parameters<typeof pushWorkspaces>[0]> = {}) =>
    pushWorkspaces({ ...common(), ref: "HEAD", ...over });
  /** Every key under a prefix, with its ETag: what must not change. */
  async function keys(prefix = ""): Promise<string[]> {
    const out: string[] = [];
    for await (const o of store.list(prefix)) out.push(`${o.key} ${o.etag}`);
    return out.sort();
  }

  beforeEach(async () => {
    base = mkdtempSync(join(tmpdir(), "wspub-previews-"));
    repo = tempRepo("", join(base, "app"));
    repo.write({ "index.html": "<h1>main</h1>\n", "src/app.js": "main\n" });
    repo.commit("one");
    ({ bucket, store } = await freshBucket(s3, "previews", 8));
    await push();
  });
  afterEach(() => {
    store.close();
    rmSync(base, { recursive: true, force: true });
  });

  it("push --preview publishes the branch as app--<slug>, never touching app; ls says which is a preview", async () => {
    const main = await keys("app/");
    const pointer = await store.get(".wspub/app/live.json");
    repo.git("checkout", "-q", "-b", "feature/login");
    repo.write({ "src/app.js": "login\n", "src/login.js": "form\n" });
    const commit = repo.commit("login");
    const [r] = await push({ preview: true });
    expect(r).toMatchObject({
      workspace: "app--feature-login",
      commit,
      preview: { of: "app", branch: "feature/login" },
    });
    expect((await store.get("app--feature-login/src/login.js"))?.toString()).toBe("form\n");
    expect(await keys("app/")).toEqual(main);
    expect(await store.get(".wspub/app/live.json")).toEqual(pointer);
    // --ref names the branch too (a local or a remote-tracking one), whatever is checked out.
    repo.git("checkout", "-q", "main");
    const [again] = await push({ preview: true, ref: "feature/login" });
    expect(again).toMatchObject({ workspace: "app--feature-login", noop: true });
    await expect(push({ preview: true, ref: repo.git("rev-parse", "HEAD").trim() })).rejects.toThrow(
      /--preview publishes a branch, and --ref [0-9a-f]{40} is not a branch here/,
    );

    const { workspaces } = await listTarget(common());
    expect(workspaces.map((w) => [w.workspace, w.preview])).toEqual([
      ["app", null],
      ["app--feature-login", { of: "app", branch: "feature/login" }],
    ]);
    expect((await verifyWorkspace({ ...common(), workspace: undefined, deep: true, repair: false })).result.ok).toBe(
      true,
    );
  });

  it("a preview never publishes into another branch's preview of the same name, nor into a workspace", async () => {
    repo.git("checkout", "-q", "-b", "feature/x");
    repo.commit("x");
    await push({ preview: true });
    repo.git("checkout", "-q", "-b", "feature-x");
    repo.write({ "other.txt": "other\n" });
    repo.commit("other");
    const before = await keys();
    const error = await push({ preview: true }).catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: 3 });
    expect((error as Error).message).toMatch(
      /app--feature-x is the preview of app for branch feature\/x, and this publish is the preview of app for branch feature-x/,
    );
    // A workspace configured under that name is not a preview: neither may write the other.
    repo.write({ "wspub.config.json": JSON.stringify({ workspaces: { "app--feature-x": "." } }) });
    repo.commit("config");
    await expect(push()).rejects.toThrow(
      /is the preview of app for branch feature\/x, and this publish is not a preview/,
    );
    expect(await keys()).toEqual(before);
  });

  it("prune removes the previews whose branch is gone, keeps the others, and never another repository's", async () => {
    for (const branch of ["feature/a", "feature/b", "feature/c"]) {
      repo.git("checkout", "-q", "-b", branch, "main");
      repo.write({ "branch.txt": `${branch}\n` });
      repo.commit(branch);
      await push({ preview: true });
    }
    // feature/b survives as a remote-tracking branch only; feature/a and feature/c are gone.
    repo.git("checkout", "-q", "main");
    repo.git("remote", "add", "origin", "file:///nonexistent");
    repo.git("update-ref", "refs/remotes/origin/feature/b", "feature/b");
    // A remote-tracking branch that only ends like a gone branch does not keep its preview.
    repo.git("update-ref", "refs/remotes/origin/x/feature/c", "feature/c");
    repo.git("branch", "-q", "-D", "feature/a", "feature/b", "feature/c");
    // A preview of another repository's workspace "site", whose branch this repository never had.
    const other = tempRepo("", join(base, "site"));
    other.write({ "a.txt": "a\n" });
    other.commit("one");
    other.git("checkout", "-q", "-b", "feature/zzz");
    await pushWorkspaces({ ...common(), cwd: other.dir, ref: "HEAD", preview: true });
    const main = await keys("app/");

    const dry = await prunePreviews({ ...common(), dryRun: true });
    expect(dry.pruned.map((p) => [p.workspace, p.branch])).toEqual([
      ["app--feature-a", "feature/a"],
      ["app--feature-c", "feature/c"],
    ]);
    expect(await store.get(".wspub/app--feature-a/live.json")).toBeDefined();
    const { pruned } = await prunePreviews(common());
    expect(pruned.map((p) => p.workspace)).toEqual(["app--feature-a", "app--feature-c"]);
    expect(pruned[0]).toMatchObject({ existed: true, objects: 3 });
    expect(await keys("app--feature-a/")).toEqual([]);
    expect(await keys(".wspub/app--feature-a/")).toEqual([]);
    const { workspaces } = await listTarget(common());
    expect(workspaces.map((w) => w.workspace)).toEqual(["app", "app--feature-b", "site--feature-zzz"]);
    expect(await keys("app/")).toEqual(main);
  });

  it("delete removes one workspace (in place or atomic) and nothing of app, apple or app--x", async () => {
    for (const name of ["apple", "app--x"]) {
      repo.write({ "wspub.config.json": JSON.stringify({ workspaces: { [name]: "." } }) });
      repo.commit(name);
      await push({ workspace: name });
    }
    repo.remove("wspub.config.json");
    repo.commit("no config");
    await push({ atomic: true });
    const others = [...(await keys("apple/")), ...(await keys("app--x/")), ...(await keys(".wspub/apple/"))];
    expect(await keys("app.rclonelink")).toHaveLength(1);

    const dry = await deleteWorkspace({ ...common(), workspace: "app", dryRun: true });
    expect(dry).toMatchObject({ existed: true });
    expect(await store.get(".wspub/app/live.json")).toBeDefined();
    const r = await deleteWorkspace({ ...common(), workspace: "app" });
    expect(r).toMatchObject({ workspace: "app", existed: true });
    expect(r.objects).toBe(dry.objects);
    for (const prefix of ["app/", "app.rclonelink", ".wspub-slots/app/", ".wspub/app/"]) {
      expect(await keys(prefix), prefix).toEqual([]);
    }
    expect([...(await keys("apple/")), ...(await keys("app--x/")), ...(await keys(".wspub/apple/"))]).toEqual(others);
    const again = await deleteWorkspace({ ...common(), workspace: "app" }).catch((e: unknown) => e);
    expect(again).toMatchObject({ exitCode: 2 });
    expect((again as Error).message).toMatch(/nothing is published as app at s3:\/\/previews-.*: see wspub ls/);
    await expect(deleteWorkspace({ ...common(), workspace: "../x" })).rejects.toThrow(/invalid workspace name/);
  });

  it("a branch's previews go on its delete event; another branch's preview of the same name stays", async () => {
    repo.git("checkout", "-q", "-b", "feature/x");
    repo.commit("x");
    await push({ preview: true });
    expect(await deletePreviews({ ...common(), branch: "feature-x" })).toEqual([
      { workspace: "app--feature-x", existed: false, objects: 0, records: 0 },
    ]);
    expect(await keys("app--feature-x/")).not.toEqual([]);
    const [removed] = await deletePreviews({ ...common(), branch: "feature/x" });
    expect(removed).toMatchObject({ workspace: "app--feature-x", existed: true });
    expect(await keys("app--feature-x/")).toEqual([]);
  });

  it("a preview whose first publish failed is still its branch's: the delete event removes what it wrote", async () => {
    // Its first publish took the lock (the pointer names the branch from then on), wrote a file,
    // and failed: the lock is let go, the journal stays.
    const layout = new Layout(testTarget(""), "app--feature-y");
    const preview = { of: "app", branch: "feature/y" };
    const journal = {
      commit: "",
      startedAt: new Date().toISOString(),
      holder: "t",
      writes: "all",
      deletes: "all",
    } as const;
    const o = { store, layout, holder: "t", reporter: silentReporter, env: {}, waitMs: 0, lock: true, preview };
    const { lease } = await Lease.acquire(o, undefined, journal);
    const body = Buffer.from("y\n");
    const md5 = createHash("md5").update(body).digest("base64");
    await store.put("app--feature-y/y.txt", body, { size: 2, md5, contentType: "text/plain", metadata: {} });
    await lease.release(true);
    const [removed] = await deletePreviews({ ...common(), branch: "feature/y" });
    expect(removed).toMatchObject({ workspace: "app--feature-y", existed: true });
    expect(await keys("app--feature-y/")).toEqual([]);
    expect(await keys(".wspub/app--feature-y/")).toEqual([]);
  });

  it("a removal cut short leaves a workspace that the next publish rebuilds in full", async () => {
    const layout = new Layout(testTarget(""), "app");
    const before = await keys("app/");
    // The store fails once the files are gone, before the records go.
    let calls = 0;
    const failing = new Proxy(store, {
      get: (target, prop, receiver) =>
        prop === "deleteMany"
          ? async (k: readonly string[]) => {
              if (++calls === 3) throw new Error("connection reset");
              return target.deleteMany(k);
            }
          : Reflect.get(target, prop, receiver),
    });
    const o = { store: failing, layout, holder: "tester", reporter: silentReporter, env: {} };
    await expect(removeWorkspace(o)).rejects.toThrow(/connection reset/);
    expect(await keys("app/")).toEqual([]);
    const [r] = await push();
    expect(r).toMatchObject({ incremental: false, uploaded: 2 });
    expect((await keys("app/")).length).toBe(before.length);
    expect((await verifyWorkspace({ ...common(), workspace: undefined, deep: true, repair: false })).result.ok).toBe(
      true,
    );
  });
});
