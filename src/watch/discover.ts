import { existsSync } from "node:fs";
import { readdir, realpath, stat } from "node:fs/promises";
import { join } from "node:path";

/** A directory with a `.git` (a directory, or the file of a worktree or submodule). */
export const isRepository = (dir: string) => existsSync(join(dir, ".git"));

/**
 * The repositories `wspub watch PATH...` serves: each PATH that is a repository, and the immediate
 * subdirectories that are repositories of each PATH that is not (the reference design's
 * `workspaces/www`, `workspaces/api`). Real paths, sorted; a PATH that does not exist is named in
 * `missing`.
 */
export async function discoverRepositories(
  paths: readonly string[],
): Promise<{ repositories: string[]; missing: string[] }> {
  const found = new Set<string>();
  const missing: string[] = [];
  for (const path of paths) {
    const dir = await realpath(path).catch(() => undefined);
    if (dir === undefined || !(await stat(dir)).isDirectory()) {
      missing.push(path);
      continue;
    }
    if (isRepository(dir)) {
      found.add(dir);
      continue;
    }
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const child = join(dir, entry.name);
      if (entry.isDirectory() && !entry.name.startsWith(".") && isRepository(child)) found.add(child);
    }
  }
  return { repositories: [...found].sort(), missing };
}
