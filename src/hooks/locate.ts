import { existsSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import type { GitRepository } from "../git/port.js";
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
export async function locateHooks(git: GitRepository): Promise<HooksLocation> {
  const root = git.root;
  const configured = await git.configValue("core.hooksPath");
  if (configured !== undefined) {
    const dir = isAbsolute(configured) ? configured : resolve(root, configured);
    if (basename(dir) === "_" && existsSync(join(dir, "h"))) {
      return { kind: "husky", dir: checkInside(root, dirname(dir)), active: true };
    }
    return { kind: "hooksPath", dir, active: true };
  }
  if (existsSync(join(root, ".husky"))) return { kind: "husky", dir: join(root, ".husky"), active: false };
  return { kind: "git", dir: await git.gitPath("hooks"), active: true };
}

/** As husky does, refuse a husky directory outside the repository. */
function checkInside(root: string, dir: string): string {
  if (relative(root, dir).startsWith(".."))
    throw usageError(`husky's directory ${dir} is outside the repository ${root}: refusing to write hooks there`);
  return dir;
}
