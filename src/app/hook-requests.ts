import type { GitRepository } from "../git/port.js";
import { branchRules, currentBranch, publishedAs } from "../hooks/branches.js";
import type { HookName } from "../hooks/script.js";

/** What a hook run asks the background publisher for; the newest one wins (pending.json). */
export interface Request {
  hook: HookName;
  /**
   * What to publish: the moved branch's ref (`refs/heads/<branch>`), read when the request is
   * taken, or the pushed commit (pre-push). A branch's ref, not the commit it moved to: the
   * publishers of a burst start in any order on a busy machine, and the last request written may
   * be an older move; the branch's tip at publish time is the newest state.
   */
  ref: string;
  branch?: string | undefined;
  /** The branch is published to its preview (config `previews.branches`), not as the workspace. */
  preview?: boolean | undefined;
  at: number;
}

const ZERO = /^0+$/;

/**
 * The request a hook run makes, or undefined when it moved or pushed no configured branch.
 * - reference-transaction: git's `<old> <new> <ref>` lines (the hook passed only local branches
 *   that moved): the configured branch that moved, the current one first when several did;
 * - pre-push: git's `<local ref> <local sha> <remote ref> <remote sha>` lines: the pushed commit of
 *   a configured branch;
 * - the fallbacks (post-commit, post-merge, post-rewrite, post-checkout), and a hook whose lines a
 *   command before it in a husky file consumed: the tip of the current branch, if it is configured.
 */
export async function requestFor(
  git: GitRepository,
  hook: HookName,
  updates: string | undefined,
  at = Date.now(),
): Promise<Request | undefined> {
  const rules = await branchRules(git);
  const as = (branch: string) => publishedAs(branch, rules);
  if ((hook !== "pre-push" && hook !== "reference-transaction") || !updates?.trim()) {
    const current = await currentBranch(git);
    if (current === undefined || as(current) === undefined) return undefined;
    return { hook, ref: `refs/heads/${current}`, branch: current, ...previewFlag(as(current)), at };
  }
  const moved: { branch: string; sha: string }[] = [];
  for (const line of updates.split("\n")) {
    const fields = line.trim().split(/\s+/);
    const [ref, sha] = hook === "pre-push" ? [fields[0], fields[1]] : [fields[2], fields[1]];
    if (!ref?.startsWith("refs/heads/") || !sha || ZERO.test(sha)) continue;
    moved.push({ branch: ref.slice("refs/heads/".length), sha });
  }
  // A configured branch before a preview branch; among them the current one, else the last.
  const configured = moved.filter((m) => as(m.branch) === "workspace");
  const candidates = configured.length > 0 ? configured : moved.filter((m) => as(m.branch) === "preview");
  if (candidates.length === 0) return undefined;
  const current = await currentBranch(git);
  const chosen = candidates.find((m) => m.branch === current) ?? candidates.at(-1)!;
  const ref = hook === "pre-push" ? chosen.sha : `refs/heads/${chosen.branch}`;
  return { hook, ref, branch: chosen.branch, ...previewFlag(as(chosen.branch)), at };
}

const previewFlag = (as: "workspace" | "preview" | undefined) => (as === "preview" ? { preview: true } : {});
