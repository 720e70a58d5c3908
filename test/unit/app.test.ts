import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { filesOf } from "../../src/app/files.js";
import { listTarget } from "../../src/app/list.js";
import { pushWorkspaces } from "../../src/app/push.js";
import { deleteWorkspace } from "../../src/app/remove.js";
import { workspaceStatus } from "../../src/app/status.js";
import { unlockWorkspace } from "../../src/app/unlock.js";
import { verifyWorkspace } from "../../src/app/verify.js";
import { WspubError } from "../../src/errors.js";
import type { PublishEvent } from "../../src/events.js";
import { TempRepo } from "./support/git-repo.js";

/**
 * The application layer the CLI and the Action share, on a real repository and a directory
 * target: what each command does once argv is parsed.
 */
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function setup() {
  const repo = new TempRepo("wspub-app-");
  const target = mkdtempSync(join(tmpdir(), "wspub-app-store-"));
  cleanups.push(() => rmSync(repo.dir, { recursive: true, force: true }));
  cleanups.push(() => rmSync(target, { recursive: true, force: true }));
  repo.write("index.html", "<h1>hi</h1>\n");
  repo.write("node_modules/x.js", "x\n");
  const commit = repo.commitAll("first");
  const events: PublishEvent[] = [];
  const common = {
    cwd: repo.dir,
    env: { WSPUB_ACTOR: "app-test" },
    store: { target },
    reporter: { event: (e: PublishEvent) => events.push(e) },
  };
  return { repo, target, commit, common, events };
}

describe("app layer", () => {
  it("push: publishes, reports each workspace's location, and names who published", async () => {
    const t = setup();
    const where: string[] = [];
    const [r] = await pushWorkspaces({ ...t.common, ref: "HEAD", onResult: (_, w) => where.push(w) });
    expect(r).toMatchObject({
      workspace: t.repo.dir.split("/").at(-1),
      commit: t.commit,
      target: t.target,
      endpoint: null,
    });
    expect(r!.visibility).toBeUndefined();
    expect(where).toEqual([`${t.target}/${r!.workspace}/`]);
    const listed = await listTarget(t.common);
    expect(listed.target.url).toBe(t.target);
    expect(listed.workspaces).toMatchObject([{ workspace: r!.workspace, publishedBy: "app-test", files: 1 }]);
  });

  it("push --all without configured workspaces is a usage error; nothing is written", async () => {
    const t = setup();
    const e = await pushWorkspaces({ ...t.common, ref: "HEAD", all: true }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(WspubError);
    expect((e as WspubError).exitCode).toBe(2);
    expect((await listTarget(t.common)).workspaces).toEqual([]);
  });

  it("requireTarget (the Action) refuses to publish to the embedded local store", async () => {
    const t = setup();
    const e = await pushWorkspaces({ ...t.common, store: {}, ref: "HEAD", requireTarget: true }).catch(
      (x: unknown) => x,
    );
    expect((e as Error).message).toMatch(/^no target: /);
  });

  it("verify --repair: verify, repair under the lock, verify again", async () => {
    const t = setup();
    const [r] = await pushWorkspaces({ ...t.common, ref: "HEAD" });
    writeFileSync(join(t.target, r!.workspace, "index.html"), "tampered\n");
    const plain = await verifyWorkspace({ ...t.common, workspace: undefined, deep: false, repair: false });
    expect(plain).toMatchObject({ result: { ok: false }, repaired: null });
    const fixed = await verifyWorkspace({ ...t.common, workspace: undefined, deep: false, repair: true });
    expect(fixed).toMatchObject({ result: { ok: true }, repaired: { rewritten: 1, deleted: 0 } });
  });

  it("atomic (WSPUB_ATOMIC=1): status shows the live slot; verify --repair mends a slot file and the link", async () => {
    const t = setup();
    const env = { ...t.common.env, WSPUB_ATOMIC: "1" };
    const [r] = await pushWorkspaces({ ...t.common, env, ref: "HEAD" });
    const name = r!.workspace;
    const s = await workspaceStatus({ ...t.common, env, workspace: undefined });
    expect(s).toMatchObject({ status: { commit: t.commit, slot: "a" } });
    writeFileSync(join(t.target, ".wspub-slots", name, "a", "index.html"), "tampered\n");
    rmSync(join(t.target, `${name}.rclonelink`));
    const plain = await verifyWorkspace({ ...t.common, workspace: undefined, deep: false, repair: false });
    expect(plain.result).toMatchObject({ ok: false, atomic: { slot: "a", link: "missing" } });
    const fixed = await verifyWorkspace({ ...t.common, workspace: undefined, deep: false, repair: true });
    expect(fixed).toMatchObject({ result: { ok: true }, repaired: { rewritten: 1 } });
  });

  it("atomic: verify --repair leaves a link that names the other slot to the next push (a publish died after it)", async () => {
    const t = setup();
    const env = { ...t.common.env, WSPUB_ATOMIC: "1" };
    const [r] = await pushWorkspaces({ ...t.common, env, ref: "HEAD" });
    writeFileSync(join(t.target, `${r!.workspace}.rclonelink`), `.wspub-slots/${r!.workspace}/b`);
    const e = await verifyWorkspace({ ...t.common, workspace: undefined, deep: false, repair: true }).catch(
      (x: unknown) => x,
    );
    expect((e as WspubError).exitCode).toBe(3);
    expect((e as Error).message).toMatch(
      /the link names slot b, which a publish that died wrote whole; run wspub push/,
    );
  });

  it("a WSPUB_ATOMIC that is neither 1 nor 0 is a usage error before anything is written", async () => {
    const t = setup();
    const env = { ...t.common.env, WSPUB_ATOMIC: "yes please" };
    const e = await pushWorkspaces({ ...t.common, env, ref: "HEAD" }).catch((x: unknown) => x);
    expect((e as WspubError).exitCode).toBe(2);
    expect((e as Error).message).toMatch(/WSPUB_ATOMIC.*set it to 1 \(atomic\) or 0 \(in place\)/);
    expect((await listTarget(t.common)).workspaces).toEqual([]);
  });

  it("status: the live commit against HEAD; a store that cannot be read is a failure, not an exception", async () => {
    const t = setup();
    await pushWorkspaces({ ...t.common, ref: "HEAD" });
    t.repo.write("b.txt", "b\n");
    t.repo.commitAll("second");
    const s = await workspaceStatus({ ...t.common, workspace: undefined });
    expect(s).toMatchObject({ status: { commit: t.commit, behind: 1, target: t.target } });
    writeFileSync(join(t.target, ".wspub", t.repo.dir.split("/").at(-1)!, "live.json"), "{");
    expect(await workspaceStatus({ ...t.common, workspace: undefined })).toHaveProperty("failure");
  });

  it("unlock: nobody holds the lock after a publish", async () => {
    const t = setup();
    const [r] = await pushWorkspaces({ ...t.common, ref: "HEAD" });
    expect(await unlockWorkspace({ ...t.common, workspace: undefined })).toEqual({
      workspace: r!.workspace,
      removed: null,
    });
  });

  it("files: the publish set of a commit and why the rest is excluded", async () => {
    const t = setup();
    const f = await filesOf({ cwd: t.repo.dir, workspace: undefined, ref: "HEAD", env: {} });
    expect(f.commit).toBe(t.commit);
    expect(f.set.files.map((x) => x.path)).toEqual(["index.html"]);
    expect(f.set.excluded).toEqual([{ path: "node_modules/x.js", reason: "default: node_modules/" }]);
  });
});

describe("wspub delete on the directory store", () => {
  it("removes a published workspace and its records from a directory target, and nothing else", async () => {
    const t = setup();
    await pushWorkspaces({ ...t.common, ref: "HEAD" });
    const name = t.repo.dir.split("/").pop()!;
    const other = join(t.target, "other", "keep.txt");
    mkdirSync(dirname(other), { recursive: true });
    writeFileSync(other, "not wspub's\n");
    const r = await deleteWorkspace({ ...t.common, workspace: name });
    expect(r).toMatchObject({ workspace: name, existed: true, objects: 1 });
    expect(existsSync(join(t.target, name, "index.html"))).toBe(false);
    expect(existsSync(join(t.target, ".wspub", name, "live.json"))).toBe(false);
    expect(readFileSync(other, "utf8")).toBe("not wspub's\n");
    // Objects wspub did not publish (no pointer) are not a workspace to delete.
    await expect(deleteWorkspace({ ...t.common, workspace: "other" })).rejects.toThrow(/nothing is published as other/);
    expect(existsSync(other)).toBe(true);
  });
});
