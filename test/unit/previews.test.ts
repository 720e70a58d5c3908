// Preview workspaces: their names, the branch `push --preview` publishes, which branch moves hooks
// publish to a preview (real git), and what the Action makes of a delete event.
import { afterEach, describe, expect, it } from "vitest";
import { type EventRules, eventAction, type GithubEvent } from "../../src/action/event.js";
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
  const rules = (over: Partial<EventRules> = {}): EventRules => ({
    ref: undefined,
    preview: false,
    enabled: true,
    branches: ["main"],
    previewBranches: [],
    previews: false,
    ...over,
  });
  const SHA = "a".repeat(40);
  const HEAD = "b".repeat(40);
  const event = (name: string, ref: string, payload: object = {}): GithubEvent => ({
    name,
    ref,
    sha: SHA,
    payload: payload as Record<string, unknown>,
  });
  const pr = (action: string, over: { fork?: boolean } = {}) =>
    event("pull_request", "refs/pull/7/merge", {
      action,
      number: 7,
      pull_request: {
        number: 7,
        head: { ref: "feature/login", sha: HEAD, repo: { full_name: over.fork ? "someone/fork" : "org/app" } },
        base: { ref: "main", repo: { full_name: "org/app" } },
      },
    });

  it("push: a configured branch publishes; a tag, another branch, a deleted branch do not (saying why)", () => {
    expect(eventAction(event("push", "refs/heads/main"), rules())).toEqual({ kind: "publish", ref: SHA });
    expect(eventAction(event("push", "refs/heads/release/1"), rules({ branches: ["release/*"] }))).toEqual({
      kind: "publish",
      ref: SHA,
    });
    expect(eventAction(event("push", "refs/tags/v1.2.0"), rules())).toEqual({
      kind: "skip",
      why: "a tag was pushed (v1.2.0): tags are not published",
    });
    expect(eventAction(event("push", "refs/heads/topic"), rules())).toEqual({
      kind: "skip",
      why:
        'branch topic is not a configured branch (main): nothing is published (set "branches" or ' +
        '"previews.branches" in wspub.config.json, or the input "preview")',
    });
    expect(eventAction(event("push", "refs/heads/main", { deleted: true }), rules())).toMatchObject({ kind: "skip" });
  });

  it("push: a previews.branches branch, or any other branch with the preview input, publishes to its preview", () => {
    expect(eventAction(event("push", "refs/heads/feature/x"), rules({ previewBranches: ["feature/*"] }))).toEqual({
      kind: "publish",
      ref: SHA,
      preview: { branch: "feature/x" },
    });
    expect(eventAction(event("push", "refs/heads/topic"), rules({ preview: true }))).toEqual({
      kind: "publish",
      ref: SHA,
      preview: { branch: "topic" },
    });
    // A configured branch is the workspace's, previews on or not.
    expect(eventAction(event("push", "refs/heads/main"), rules({ preview: true }))).toEqual({
      kind: "publish",
      ref: SHA,
    });
  });

  it("pull_request: never the workspace; the head to <name>--pr-N with previews on, removed when closed", () => {
    expect(eventAction(pr("opened"), rules())).toEqual({
      kind: "skip",
      why:
        "pull request #7 is not merged: its code is never published into the workspace, and previews are off " +
        '(input "preview", or "previews" in wspub.config.json)',
    });
    for (const action of ["opened", "synchronize", "reopened"]) {
      expect(eventAction(pr(action), rules({ previews: true }))).toEqual({
        kind: "publish",
        ref: HEAD,
        preview: { branch: "feature/login", pullRequest: 7 },
        fetch: "refs/pull/7/head",
      });
    }
    // Closed: its preview goes whether previews are on now or not (they may have been on when it was made).
    for (const previews of [true, false]) {
      expect(eventAction(pr("closed"), rules({ previews }))).toEqual({
        kind: "remove-preview",
        preview: { branch: "feature/login", pullRequest: 7 },
      });
    }
    // Other events about a pull request (a review, a comment on its code) run on its merge commit too.
    expect(eventAction({ ...pr("submitted"), name: "pull_request_review" }, rules({ previews: true }))).toEqual({
      kind: "skip",
      why: "a pull_request_review event is about pull request #7, which is not merged: nothing is published",
    });
    expect(eventAction({ ...pr("opened"), name: "pull_request_target" }, rules({ previews: true }))).toMatchObject({
      kind: "publish",
      ref: HEAD,
    });
    expect(eventAction(pr("opened", { fork: true }), rules({ previews: true }))).toMatchObject({
      kind: "skip",
      why: expect.stringContaining("comes from a fork (someone/fork)"),
    });
  });

  it("delete: a branch's removes its previews, a tag's does nothing; dispatch and schedule publish; a merge queue does not", () => {
    expect(eventAction(event("delete", "", { ref: "feature/x", ref_type: "branch" }), rules())).toEqual({
      kind: "remove-preview",
      preview: { branch: "feature/x" },
    });
    expect(eventAction(event("delete", "", { ref: "v1", ref_type: "tag" }), rules())).toEqual({
      kind: "skip",
      why: "a tag was deleted: there is nothing to publish",
    });
    expect(eventAction(event("workflow_dispatch", "refs/heads/topic"), rules())).toEqual({ kind: "publish", ref: SHA });
    expect(eventAction(event("schedule", "refs/heads/main"), rules())).toEqual({ kind: "publish", ref: SHA });
    expect(eventAction(event("merge_group", "refs/heads/gh-readonly-queue/main/pr-7"), rules())).toMatchObject({
      kind: "skip",
    });
  });

  it("an explicit ref input publishes it whatever the event; event-rules false publishes the run's commit", () => {
    expect(eventAction(pr("opened"), rules({ ref: "v1.0.0" }))).toEqual({ kind: "publish", ref: "v1.0.0" });
    // A rollback from "Run workflow" on main with previews on goes into the workspace, not main's preview.
    const dispatch = event("workflow_dispatch", "refs/heads/main");
    expect(eventAction(dispatch, rules({ ref: "abc123", preview: true }))).toEqual({ kind: "publish", ref: "abc123" });
    expect(eventAction(event("schedule", "refs/heads/main"), rules({ preview: true }))).toEqual({
      kind: "publish",
      ref: SHA,
    });
    expect(eventAction(event("workflow_dispatch", "refs/heads/topic"), rules({ preview: true }))).toEqual({
      kind: "publish",
      ref: SHA,
      preview: { branch: "topic" },
    });
    expect(eventAction(event("push", "refs/tags/v1"), rules({ ref: "main" }))).toEqual({
      kind: "publish",
      ref: "main",
    });
    expect(eventAction(pr("opened"), rules({ enabled: false }))).toEqual({ kind: "publish", ref: SHA });
    expect(eventAction(pr("opened"), rules({ enabled: false, preview: true }))).toEqual({
      kind: "publish",
      ref: SHA,
      preview: { branch: "feature/login" },
    });
  });
});
