import { git } from "../git/exec.js";

/** The branch hooks publish when the config names none: origin's HEAD, else init.defaultBranch, else main/master. */
export async function defaultBranch(root: string): Promise<string> {
  const origin = await git(root, ["symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD"], {
    allowFailure: true,
  });
  if (origin.exitCode === 0 && origin.stdout.trim() !== "") return origin.stdout.trim().replace(/^origin\//, "");
  const init = await git(root, ["config", "--get", "init.defaultBranch"], { allowFailure: true });
  if (init.exitCode === 0 && init.stdout.trim() !== "") return init.stdout.trim();
  for (const name of ["main", "master"]) {
    const has = await git(root, ["show-ref", "--verify", "--quiet", `refs/heads/${name}`], { allowFailure: true });
    if (has.exitCode === 0) return name;
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
export async function currentBranch(root: string): Promise<string | undefined> {
  const r = await git(root, ["symbolic-ref", "--quiet", "--short", "HEAD"], { allowFailure: true });
  return r.exitCode === 0 ? r.stdout.trim() : undefined;
}

/**
 * Whether `oid` was once the tip of `branch` (or HEAD) here: the live commit was replaced by this
 * repository's own amend or rebase, so the new commit may replace it without --force. A live
 * commit published from elsewhere is not in this reflog and keeps the ordering guard.
 */
export async function inReflog(root: string, branch: string, oid: string): Promise<boolean> {
  for (const ref of [`refs/heads/${branch}`, "HEAD"]) {
    const r = await git(root, ["reflog", "show", "-n", "2000", "--format=%H", ref, "--"], { allowFailure: true });
    if (r.exitCode === 0 && r.stdout.split("\n").includes(oid)) return true;
  }
  return false;
}
