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
