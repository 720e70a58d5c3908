import { loadConfig } from "../config/load.js";
import type { GitRepository } from "../git/port.js";
import { REFLOG_DEPTH } from "../limits.js";

/** The branch hooks publish when the config names none: origin's HEAD, else init.defaultBranch, else main/master. */
export async function defaultBranch(git: GitRepository): Promise<string> {
  const origin = await git.symbolicRef("refs/remotes/origin/HEAD");
  if (origin !== undefined) return origin.replace(/^origin\//, "");
  const init = await git.configValue("init.defaultBranch");
  if (init !== undefined) return init;
  for (const name of ["main", "master"]) {
    if (await git.hasRef(`refs/heads/${name}`)) return name;
  }
  return "main";
}

/** The branches hooks, `wspub watch` and the Action publish, as the workspace and to their previews. */
export interface BranchRules {
  /** The config's `branches`, else the default branch. */
  branches: string[];
  /** The config's `previews.branches` (none by default). */
  previews: string[];
  /** Whether the config has a `previews` section (the Action: pull requests get previews). */
  previewsConfigured: boolean;
}

/**
 * The branch rules of the repository's config (read once). `defaultName`: the default branch when
 * something knows it better than the clone (the Action's event payload).
 */
export async function branchRules(git: GitRepository, defaultName?: string): Promise<BranchRules> {
  const { config } = await loadConfig(git.root);
  return {
    branches: config.branches ?? [defaultName ?? (await defaultBranch(git))],
    previews: config.previews?.branches ?? [],
    previewsConfigured: config.previews !== undefined,
  };
}

/** Whether hooks and watch publish `branch`: as the workspace (a configured branch), as its preview, or not. */
export function publishedAs(
  branch: string,
  rules: Pick<BranchRules, "branches" | "previews">,
): "workspace" | "preview" | undefined {
  if (branchMatches(branch, rules.branches)) return "workspace";
  return branchMatches(branch, rules.previews) ? "preview" : undefined;
}

/**
 * The branch whose tip `wspub watch` keeps live: the current branch when it is configured (or a
 * preview branch: then published to its preview), else the first configured branch named literally
 * (no glob) that exists here. Undefined (with why)
 * when there is none, e.g. a detached HEAD and only glob patterns configured.
 */
export async function watchedBranch(
  git: GitRepository,
): Promise<{ branch: string; preview?: boolean } | { none: string }> {
  const rules = await branchRules(git);
  const { branches } = rules;
  const current = await currentBranch(git);
  // A preview branch checked out (config previews.branches): its tip goes to its preview.
  const as = current === undefined ? undefined : publishedAs(current, rules);
  if (as !== undefined) return as === "preview" ? { branch: current!, preview: true } : { branch: current! };
  for (const name of branches) {
    if (!name.includes("*") && (await git.hasRef(`refs/heads/${name}`))) return { branch: name };
  }
  const head = current === undefined ? "a detached HEAD" : `branch ${current}`;
  return { none: `${head} is checked out and none of the configured branches (${branches.join(", ")}) exists here` };
}

/** `name` matches a pattern: exact, or a glob where `*` stays within one `/` segment and `**` crosses them. */
export function branchMatches(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => {
    if (!p.includes("*")) return p === name;
    const re = p
      .split("**")
      .map((part) =>
        part
          .split("*")
          .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
          .join("[^/]*"),
      )
      .join(".*");
    return new RegExp(`^${re}$`).test(name);
  });
}

/** The current branch, or undefined on a detached HEAD. */
export function currentBranch(git: GitRepository): Promise<string | undefined> {
  return git.symbolicRef("HEAD");
}

/**
 * Whether `oid` was once the tip of `branch` (or HEAD) here: the live commit was replaced by this
 * repository's own amend or rebase, so the new commit may replace it without --force. A live
 * commit published from elsewhere is not in this reflog and keeps the ordering guard.
 */
export async function inReflog(git: GitRepository, branch: string, oid: string): Promise<boolean> {
  for (const ref of [`refs/heads/${branch}`, "HEAD"]) {
    if ((await git.reflog(ref, REFLOG_DEPTH)).includes(oid)) return true;
  }
  return false;
}
