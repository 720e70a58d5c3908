// Started by bin/wspub.js before anything else loads: whether this process should start again
// with a smaller young generation. V8 sizes the young generation only when Node starts, and its
// default (a 128 MB new space in Node 24) is the largest part of a large first publish's memory
// (bench/README.md, "Memory of a 100k-file first publish"). `--max-semi-space-size=8` took a
// 100,000-file first publish from 359 to 242 MB at the same speed; a restart costs one Node start
// (~35 ms), so only a push in a repository with a large index (about 20,000 files and more) pays
// it. `process.execve` (Node >= 22.15 / 23.11, not on Windows) replaces the process: the same pid,
// signals and exit code. WSPUB_YOUNG_GENERATION=default turns it off.
import { readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

export const YOUNG_GENERATION_FLAG = "--max-semi-space-size=8";
/** A git index of this size holds about 20,000 paths. */
export const LARGE_INDEX_BYTES = 2 * 1024 * 1024;

/**
 * The arguments for `process.execve` that start this command again with a smaller young
 * generation, or undefined to go on as is.
 * @param {Pick<NodeJS.Process, "argv" | "env" | "execArgv" | "execPath" | "cwd"> & { execve?: unknown }} proc
 * @returns {[string, string[], NodeJS.ProcessEnv] | undefined}
 */
export function youngGenerationRestart(proc) {
  if (typeof proc.execve !== "function" || proc.env.WSPUB_YOUNG_GENERATION === "default") return undefined;
  if (/--max-semi-space-size/.test(`${proc.env.NODE_OPTIONS ?? ""} ${proc.execArgv.join(" ")}`)) return undefined;
  if (proc.argv[2] !== "push") return undefined;
  const threshold = Number(proc.env.WSPUB_LARGE_INDEX_BYTES ?? LARGE_INDEX_BYTES);
  if (indexBytes(proc.cwd()) < threshold) return undefined;
  return [proc.execPath, [proc.execPath, ...proc.execArgv, YOUNG_GENERATION_FLAG, ...proc.argv.slice(1)], proc.env];
}

/** The size of the git index of the repository `dir` is in (0 when there is none). */
export function indexBytes(dir) {
  for (let at = resolve(dir); ; at = dirname(at)) {
    const dotGit = join(at, ".git");
    const kind = statOrUndefined(dotGit);
    if (kind?.isDirectory()) return statOrUndefined(join(dotGit, "index"))?.size ?? 0;
    if (kind?.isFile()) {
      // A worktree or submodule: `gitdir: <path>`.
      const gitDir = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, "utf8"))?.[1]?.trim();
      return gitDir ? (statOrUndefined(join(resolve(at, gitDir), "index"))?.size ?? 0) : 0;
    }
    if (dirname(at) === at) return 0;
  }
}

function statOrUndefined(path) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
