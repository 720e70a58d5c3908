import { opendir, lstat } from "node:fs/promises";
import { join } from "node:path";

/** What a workspace's working tree holds on disk, for "what the bucket saves" (status, a first publish). */
export interface TreeSize {
  bytes: number;
  files: number;
  /** False when the walk stopped at its time budget: the numbers are a lower bound. */
  complete: boolean;
}

/**
 * The bytes of every file under `dir` on disk (node_modules, build output and all; `.git` left
 * out), walked within `budgetMs`: a large tree reports what it found by then, as a lower bound,
 * rather than make a command wait. Symlinks count as themselves, not what they point at.
 */
export async function treeSize(dir: string, budgetMs = 2000): Promise<TreeSize> {
  const deadline = Date.now() + budgetMs;
  const size: TreeSize = { bytes: 0, files: 0, complete: true };
  const pending = [dir];
  while (pending.length > 0) {
    if (Date.now() > deadline) return { ...size, complete: false };
    const current = pending.pop()!;
    const entries = await opendir(current).catch(() => undefined);
    if (!entries) continue;
    for await (const e of entries) {
      const path = join(current, e.name);
      if (e.isDirectory()) {
        if (!(current === dir && e.name === ".git")) pending.push(path);
      } else if (e.isFile() || e.isSymbolicLink()) {
        size.bytes += (await lstat(path).catch(() => undefined))?.size ?? 0;
        size.files++;
      }
    }
  }
  return size;
}

/** "1.2 MiB of the working tree's 345.6 MiB (99.7% left out)", from the two sizes. */
export function savedShare(published: number, tree: TreeSize): number | undefined {
  if (tree.bytes <= 0 || published > tree.bytes) return undefined;
  // Rounded down: 99.99% is not "100% not stored".
  return Math.floor((1 - published / tree.bytes) * 1000) / 10;
}
