// Preview workspaces: their names, the branch `push --preview` publishes, which branch moves hooks
// publish to a preview (real git), and what the Action makes of a delete event.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { eventAction } from "../../src/action/event.js";
import { requestFor } from "../../src/app/hook-requests.js";
import { openGit } from "../../src/git/cli-git.js";
import type { GitRepository } from "../../src/git/port.js";
import { publishedAs, watchedBranch } from "../../src/hooks/branches.js";
import { DEFAULT_PREVIEW_NAME, previewBranch, previewName } from "../../src/workspace/preview.js";
import { type TempRepo, tempRepo } from "../harness/repo.js";

describe("previewName", () => {
  it("fills the pattern; every character a workspace name cannot hold becomes -", () => {
    expect(previewName(DEFAULT_PREVIEW_NAME, "app", "feature/login")).toBe("app--feature-login");
    expect(previewName(DEFAULT_PREVIEW_NAME, "app", "fix/ümlaut & co")).toBe("app--fix--mlaut---co");
    expect(previewName("preview-{branch}-of-{name}", "api", "v2.1_rc")).toBe("preview-v2.1_rc-of-api");
  });

  it("keeps long names under 200 characters and apart by a hash of the branch", () => {
    const a = previewName(DEFAULT_PREVIEW_NAME, "app", `feature/${"x".repeat(300)}a`);
    const b = previewName(DEFAULT_PREVIEW_NAME, "app", `feature/${"x".repeat(300)}b`);
    expect(a.length).toBeLessThanOrEqual(200);
    expect(a).toMatch(/^app--feature-x+-[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
  });

  it("refuses a pattern without {branch}, or one that makes an invalid name", () => {
    expect(() => previewName("{name}", "app", "x")).toThrow(/must contain \{branch\}/);
    expect(() => previewName("-{name}-{branch}", "app", "x")).toThrow(/invalid workspace name/);
  });
});

describe("which branch a preview publishes, and when hooks publish one (real git)", () => {
  let repo: TempRepo;
  let git: GitRepository;
  afterEach(async () => {
    await git?.close();
    repo?.cleanup();
  });
  const setup = async (config: object) => {
    repo = tempRepo();
    repo.write({ "a.txt": "a\n", "wspub.config.json": JSON.stringify(config) });
    repo.commit("one");
    git = await openGit(repo.dir);
  };

  it("push --preview: the current branch for HEAD, --ref's local or remote-tracking branch, else an error", async () => {
    await setup({});
    repo.git("checkout", "-q", "-b", "feature/x");
    expect(await previewBranch(git, "HEAD")).toBe("feature/x");
    expect(await previewBranch(git, "main")).toBe("main");
    expect(await previewBranch(git, "refs/heads/feature/x")).toBe("feature/x");
    repo.git("update-ref", "refs/remotes/origin/feature/y", "HEAD");
    expect(await previewBranch(git, "origin/feature/y")).toBe("feature/y");
    await expect(previewBranch(git, "HEAD~0")).rejects.toThrow(/--ref HEAD~0 is not a branch here/);
    repo.git("checkout", "-q", "--detach");
    await expect(previewBranch(git, "HEAD")).rejects.toThrow(/HEAD is detached: check out the branch/);
  });

  it("a branch move on previews.branches asks for its preview; a configured branch comes first", async () => {
    await setup({ branches: ["main"], previews: { branches: ["feature/*"] } });
    const rules = { branches: ["main"], previews: ["feature/*"] };
    expect(publishedAs("main", rules)).toBe("workspace");
    expect(publishedAs("feature/x", rules)).toBe("preview");
    expect(publishedAs("feature/x/y", rules)).toBeUndefined();
    const sha = repo.git("rev-parse", "HEAD").trim();
    const zero = "0".repeat(40);
    const moved = (...refs: string[]) => refs.map((r) => `${zero} ${sha} ${r}`).join("\n");
    expect(await requestFor(git, "reference-transaction", moved("refs/heads/feature/x"), 1)).toEqual({
      hook: "reference-transaction",
      ref: "refs/heads/feature/x",
      branch: "feature/x",
      preview: true,
      at: 1,
    });
    expect(await requestFor(git, "reference-transaction", moved("refs/heads/feature/x", "refs/heads/main"), 1)).toEqual(
      { hook: "reference-transaction", ref: "refs/heads/main", branch: "main", at: 1 },
    );
    expect(await requestFor(git, "reference-transaction", moved("refs/heads/other"), 1)).toBeUndefined();
  });

  it("wspub watch publishes a checked-out preview branch to its preview, a configured one as the workspace", async () => {
    await setup({ branches: ["main"], previews: { branches: ["feature/*"] } });
    expect(await watchedBranch(git)).toEqual({ branch: "main" });
    repo.git("checkout", "-q", "-b", "feature/x");
    expect(await watchedBranch(git)).toEqual({ branch: "feature/x", preview: true });
    repo.git("checkout", "-q", "-b", "other");
    expect(await watchedBranch(git)).toEqual({ branch: "main" });
  });
});

describe("eventAction (the Action's triggering event)", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const withPayload = (name: string, payload: object) => {
    const dir = mkdtempSync(join(tmpdir(), "wspub-event-"));
    dirs.push(dir);
    writeFileSync(join(dir, "event.json"), JSON.stringify(payload));
    return { GITHUB_EVENT_NAME: name, GITHUB_EVENT_PATH: join(dir, "event.json") };
  };

  it("a branch's delete removes its previews, a tag's does nothing, anything else publishes", () => {
    expect(eventAction(withPayload("delete", { ref: "feature/x", ref_type: "branch" }))).toEqual({
      kind: "remove-preview",
      branch: "feature/x",
    });
    expect(eventAction(withPayload("delete", { ref: "v1", ref_type: "tag" }))).toEqual({
      kind: "none",
      why: "a tag was deleted: there is nothing to publish",
    });
    expect(eventAction(withPayload("push", { ref: "refs/heads/main" }))).toEqual({ kind: "publish" });
    expect(eventAction({})).toEqual({ kind: "publish" });
  });
});
