// The directory the peers sync: exactly the publish set of the workspace's HEAD, exported from
// git (not copied from the working tree), so that every tool publishes the same files.
//
// `makeMirror()` runs `git archive HEAD | tar -x` into the directory, asks the built CLI for the
// publish set (`wspub files --json`: git's tracked files minus wspub's filter), removes every
// other file, and checks that each remaining file has the committed size. `updateMirror()` writes
// the committed content of changed paths after an incremental commit, touching only those files;
// the others keep the commit time that git archive gave them.
//
// A changed file's mtime is set to the last whole second before now: S3 LastModified (as
// SeaweedFS reports it) has one-second resolution, and s5cmd and aws s3 sync upload a file whose
// mtime is newer than the object's LastModified. A file written at 12:00:00.7 and uploaded at
// 12:00:00.9 would otherwise look newer than its object (12:00:00) and be uploaded again by the
// next sync. An edit always changes the size (a line is appended), so it is still uploaded.

import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, rmdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { cleanEnv } from "./server.ts";
import { wspubBin } from "./tools/wspub.ts";
import { GIT_ENV } from "./workspace.ts";

export interface PublishSetEntry {
  path: string;
  mode: string;
  oid: string;
  size: number;
}

export interface Mirror {
  dir: string;
  /** Publish set paths (workspace-relative). */
  paths: Set<string>;
  files: number;
  bytes: number;
  /** Tracked files that the filter excluded (removed from the export). */
  excluded: number;
  ms: number;
}

/** The publish set of `ref` in `repo`, from the built CLI. */
export function publishSet(repo: string, ref = "HEAD"): PublishSetEntry[] {
  const out = execFileSync(process.execPath, [wspubBin(), "files", "--ref", ref, "--json"], {
    cwd: repo,
    env: cleanEnv({ ...GIT_ENV }),
    encoding: "utf8",
    maxBuffer: 1 << 30,
  });
  const parsed = JSON.parse(out) as { files: PublishSetEntry[] };
  return parsed.files;
}

function walk(dir: string, root: string, out: string[]): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, root, out);
    else out.push(relative(root, p));
  }
}

/** Removes empty directories below `dir` (not `dir` itself); returns whether `dir` is now empty. */
function pruneEmpty(dir: string): boolean {
  let empty = true;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory() && pruneEmpty(join(dir, e.name))) rmdirSync(join(dir, e.name));
    else empty = false;
  }
  return empty;
}

export function makeMirror(repo: string, dir: string): Mirror {
  const started = performance.now();
  mkdirSync(dir, { recursive: true });
  const env = cleanEnv({ ...GIT_ENV });
  // git archive | tar -x (through a shell pipe: the archive of 100k files is ~1 GiB).
  execFileSync("sh", ["-c", 'git -C "$1" archive --format=tar HEAD | tar -x -C "$2"', "sh", repo, dir], {
    env,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const set = publishSet(repo);
  const paths = new Set(set.map((f) => f.path));
  const all: string[] = [];
  walk(dir, dir, all);
  let excluded = 0;
  for (const p of all) {
    if (!paths.has(p)) {
      rmSync(join(dir, p), { force: true });
      excluded++;
    }
  }
  pruneEmpty(dir);
  let bytes = 0;
  for (const f of set) {
    if (f.mode === "120000" || f.mode === "160000")
      throw new Error(`mirror: ${f.path} is a symlink or submodule; the peers' handling differs (not supported)`);
    const st = statSync(join(dir, f.path), { throwIfNoEntry: false });
    if (!st?.isFile() || st.size !== f.size)
      throw new Error(
        `mirror: ${f.path} should be a file of ${f.size} bytes after git archive, is ${st ? st.size : "missing"}`,
      );
    bytes += f.size;
  }
  return { dir, paths, files: set.length, bytes, excluded, ms: performance.now() - started };
}

/** Writes the committed (HEAD) content of the changed `paths` that are in the publish set. */
export function updateMirror(repo: string, mirror: Mirror, paths: readonly string[]): number {
  let written = 0;
  const mtime = Math.floor(Date.now() / 1000) - 1;
  for (const p of paths) {
    if (!mirror.paths.has(p)) continue;
    const body = execFileSync("git", ["cat-file", "blob", `HEAD:${p}`], {
      cwd: repo,
      env: cleanEnv({ ...GIT_ENV }),
      maxBuffer: 1 << 30,
    });
    const target = join(mirror.dir, p);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, body);
    utimesSync(target, mtime, mtime);
    written++;
  }
  return written;
}
