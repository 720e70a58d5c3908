import { createHash } from "node:crypto";
import { usageError } from "../errors.js";
import type { GitRepository } from "../git/port.js";
import type { PreviewOf } from "../manifest/pointer.js";
import { validateWorkspaceName } from "../store/layout.js";

/** How a preview workspace is named by default: `app--feature-login` for branch feature/login of app. */
export const DEFAULT_PREVIEW_NAME = "{name}--{branch}";
const MAX_NAME = 200;

/**
 * The name of the preview of workspace `name` for `branch`: the pattern's `{name}` and `{branch}`
 * filled in, the branch as a slug (every character a workspace name cannot hold, `/` first,
 * becomes `-`). A name past 200 characters keeps its start and ends in 8 hex digits of the
 * branch's SHA-256, so that long branches stay apart.
 */
export function previewName(pattern: string, name: string, branch: string): string {
  const slug = branch.replace(/[^A-Za-z0-9._-]/g, "-");
  let full = fill(pattern, name, slug);
  if (full.length > MAX_NAME) {
    const hash = createHash("sha256").update(branch).digest("hex").slice(0, 8);
    const room = MAX_NAME - fill(pattern, name, "").length - hash.length - 1;
    full = fill(pattern, name, `${slug.slice(0, Math.max(room, 1))}-${hash}`);
  }
  if (full === name) throw usageError(`the preview name pattern ${JSON.stringify(pattern)} must contain {branch}`);
  return validateWorkspaceName(full);
}

/**
 * A preview of workspace `of`: its name and what its pointer records. A pull request's preview is
 * named after the pull request (`{branch}` is `pr-<N>`: `app--pr-7`) and records its head branch.
 */
export function previewWorkspace(
  pattern: string,
  of: string,
  target: { branch: string; pullRequest?: number | undefined },
): { name: string; preview: PreviewOf } {
  const { branch, pullRequest } = target;
  if (pullRequest === undefined) return { name: previewName(pattern, of, branch), preview: { of, branch } };
  return { name: previewName(pattern, of, `pr-${pullRequest}`), preview: { of, branch, pullRequest } };
}

const fill = (pattern: string, name: string, slug: string) =>
  pattern.replaceAll("{name}", name).replaceAll("{branch}", slug);

/**
 * The branch `push --preview` publishes: `--ref`'s when it names a local or remote-tracking branch
 * (`origin/feature/x` is feature/x), the current one for HEAD; otherwise a usage error.
 */
export async function previewBranch(git: GitRepository, ref: string): Promise<string> {
  if (ref === "HEAD") {
    const current = await git.symbolicRef("HEAD");
    if (current === undefined) throw usageError(noBranch("HEAD is detached"));
    return current;
  }
  const local = ref.replace(/^refs\/heads\//, "");
  if (await git.hasRef(`refs/heads/${local}`)) return local;
  const remote = ref.replace(/^refs\/remotes\//, "");
  if (await git.hasRef(`refs/remotes/${remote}`)) {
    const slash = remote.indexOf("/");
    if (slash > 0) return remote.slice(slash + 1);
  }
  throw usageError(noBranch(`--ref ${ref} is not a branch here`));
}

const noBranch = (why: string) =>
  `--preview publishes a branch, and ${why}: check out the branch, or give --ref <branch>`;
