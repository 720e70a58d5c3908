import { existsSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { git } from "../git/exec.js";
import { usageError } from "../errors.js";

export type HooksKind = "husky" | "hooksPath" | "git";

export interface HooksLocation {
  kind: HooksKind;
  /** Directory the hook files go in: `.husky/`, `core.hooksPath`, or `.git/hooks`. */
  dir: string;
  /** For husky: whether husky itself is set up (core.hooksPath points at `.husky/_`). */
  active: boolean;
}

/**
 * The repository's effective hooks directory: husky's `.husky/` when the repository uses husky
 * (core.hooksPath = `<dir>/_` with husky's `h` runner, or a `.husky/` folder not yet activated),
 * else `core.hooksPath`, else `.git/hooks` (via `git rev-parse --git-path hooks`, right for
 * worktrees too).
 */
export async function locateHooks(root: string): Promise<HooksLocation> {
  const configured = (await git(root, ["config", "--get", "core.hooksPath"], { allowFailure: true })).stdout.trim();
  if (configured !== "") {
    const dir = isAbsolute(configured) ? configured : resolve(root, configured);
    if (basename(dir) === "_" && existsSync(join(dir, "h"))) {
      return { kind: "husky", dir: checkInside(root, dirname(dir)), active: true };
    }
    return { kind: "hooksPath", dir, active: true };
  }
  if (existsSync(join(root, ".husky"))) return { kind: "husky", dir: join(root, ".husky"), active: false };
  const hooks = (await git(root, ["rev-parse", "--git-path", "hooks"])).stdout.trim();
  return { kind: "git", dir: resolve(root, hooks), active: true };
}

/** As husky does, refuse a husky directory outside the repository. */
function checkInside(root: string, dir: string): string {
  if (relative(root, dir).startsWith(".."))
    throw usageError(`husky's directory ${dir} is outside the repository ${root}: refusing to write hooks there`);
  return dir;
}
