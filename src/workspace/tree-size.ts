import { lstat, opendir } from "node:fs/promises";
import { join } from "node:path";

/** What a workspace's working tree holds on disk, for "what the bucket saves" (status, a first publish). */
export interface TreeSize {
  bytes: number;
  files: number;
  /** False when the walk stopped at its time budget (or skipped what it could not read): a lower bound. */
  complete: boolean;
}

/** Entries whose sizes are asked for at once. */
const BATCH = 64;

/**
 * The bytes of every file under `dir` on disk (node_modules, build output and all; `.git` left
 * out), walked within `budgetMs`, checked every BATCH entries: a large tree reports what it found
 * by then, as a lower bound, rather than make a command wait. Symlinks count as themselves (never
 * followed). Never throws: what cannot be read makes the result incomplete.
 */
export async function treeSize(dir: string, budgetMs = 2000): Promise<TreeSize> {
  const deadline = Date.now() + budgetMs;
  const size: TreeSize = { bytes: 0, files: 0, complete: true };
  const pending = [dir];
  const sizeOf = async (path: string) => (await lstat(path).catch(() => undefined))?.size ?? 0;
  try {
    while (pending.length > 0) {
      const current = pending.pop()!;
      const entries = await opendir(current).catch(() => undefined);
      if (!entries) {
        size.complete = false;
        continue;
      }
      let files: string[] = [];
      for await (const e of entries) {
        const path = join(current, e.name);
        if (e.isDirectory()) {
          if (!(current === dir && e.name === ".git")) pending.push(path);
        } else if (e.isFile() || e.isSymbolicLink()) files.push(path);
        if (files.length >= BATCH) {
          size.bytes += (await Promise.all(files.map(sizeOf))).reduce((a, b) => a + b, 0);
          size.files += files.length;
          files = [];
          if (Date.now() >= deadline) return { ...size, complete: false }; // leaving the loop closes the directory
        }
      }
      size.bytes += (await Promise.all(files.map(sizeOf))).reduce((a, b) => a + b, 0);
      size.files += files.length;
      if (Date.now() >= deadline && pending.length > 0) return { ...size, complete: false };
    }
  } catch {
    return { ...size, complete: false };
  }
  return size;
}

/** The share of the working tree the bucket does not store, in percent rounded down; undefined when it says nothing. */
export function savedShare(published: number, tree: TreeSize): number | undefined {
  if (tree.bytes <= 0 || published >= tree.bytes) return undefined;
  // Rounded down: 99.99% is not "100% not stored".
  return Math.floor((1 - published / tree.bytes) * 1000) / 10;
}
