// What a reader of a mounted workspace sees: a tree walked through the mount, every byte of every
// file and symlinks as symlinks. Used by test/e2e/mount.test.ts and bench/torn-view.ts.

import { createHash } from "node:crypto";
import { lstatSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";

/** One entry per path under a directory: what a reader of the mount (or the expected commit) sees. */
export type Entry =
  | { type: "dir" }
  | { type: "file"; sha256: string; mtime: number }
  | { type: "symlink"; target: string }
  /** Listed by its directory, gone when it was read: only while a publish deletes in place. */
  | { type: "vanished" };
export type Tree = Record<string, Entry>;
export const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

/**
 * Reads a directory tree through the mount: every byte of every file, symlinks as symlinks.
 * `duringPublish`: the tree is being rewritten in place, so an entry its directory listed may be
 * gone when it is read; it is recorded as vanished (a torn view) instead of failing the walk.
 * Otherwise any error fails it.
 */
export function snapshot(root: string, duringPublish = false): Tree {
  const out: Tree = {};
  const gone = (e: unknown) => duringPublish && ["ENOENT", "ENOTDIR"].includes((e as NodeJS.ErrnoException).code ?? "");
  const read = (path: string, full: string) => {
    const st = lstatSync(full);
    if (st.isSymbolicLink()) out[path] = { type: "symlink", target: readlinkSync(full) };
    else if (st.isDirectory()) {
      out[path] = { type: "dir" };
      walk(path);
    } else out[path] = { type: "file", sha256: sha256(readFileSync(full)), mtime: Math.floor(st.mtimeMs / 1000) };
  };
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      try {
        read(path, join(root, path));
      } catch (e) {
        if (!gone(e)) throw e;
        out[path] = { type: "vanished" };
      }
    }
  };
  walk("");
  return out;
}

/** The first entry of `now` that is in neither `before` nor `want` (a torn view), described; undefined if none. */
export function entryOfNeither(now: Tree, before: Tree, want: Tree): string | undefined {
  for (const [path, entry] of Object.entries(now)) {
    const e = JSON.stringify(entry);
    if (e !== JSON.stringify(before[path]) && e !== JSON.stringify(want[path])) return `${path}: ${e}`;
  }
  return undefined;
}
