import { type ChildProcessByStdio, execFile, spawn } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { gitFailure } from "../errors.js";

/**
 * git maps pack files into memory whole by default (1 GiB windows): reading every blob of a
 * 100k-file repository for a first publish showed `git cat-file --batch` at 770 MB resident, and
 * `git ls-tree -r -l` at 265 MB, all of it pack pages. Small windows keep both under 80 MB at the
 * same speed (measured on the benchmark's 100k workspace).
 */
const PACK_WINDOWS = ["-c", "core.packedGitWindowSize=32m", "-c", "core.packedGitLimit=64m"];

/**
 * The one place wspub starts git: runGit for a command's output, spawnGit for a stream. Fixed
 * global flags keep output machine-readable and stop git from taking optional locks (wspub runs
 * from hooks while the user's git is busy). Node's own execFile is enough here, and keeps
 * start-up short (execa alone cost ~0.1 s to load).
 */
const GIT_GLOBAL_ARGS = ["-c", "core.quotePath=false", "-c", "color.ui=false", ...PACK_WINDOWS];
const GIT_ENV = { GIT_OPTIONAL_LOCKS: "0", GIT_TERMINAL_PROMPT: "0", GIT_LITERAL_PATHSPECS: "1", LC_ALL: "C" };

export interface GitResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Runs git; throws a GitError carrying stderr unless `allowFailure` is set. */
export function runGit(
  cwd: string,
  args: readonly string[],
  options: { allowFailure?: boolean; input?: string; env?: Record<string, string> } = {},
): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    let child: ReturnType<typeof execFile>;
    try {
      child = execFile(
        "git",
        [...GIT_GLOBAL_ARGS, ...args],
        { cwd, env: { ...process.env, ...GIT_ENV, ...options.env }, maxBuffer: 1024 * 1024 * 1024, encoding: "utf8" },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === "number" ? error.code : undefined) : 0;
          if (code === undefined) {
            reject(notRunnable(args, error!));
            return;
          }
          const out = { stdout, stderr, exitCode: code };
          if (code !== 0 && !options.allowFailure) {
            reject(gitFailed(args, stderr, `exit ${code}`));
            return;
          }
          resolve(out);
        },
      );
    } catch (error) {
      // E2BIG (an argument list past the system's limit) and the like throw at once.
      reject(notRunnable(args, error as Error));
      return;
    }
    // git may exit before reading all its input: that is reported through its exit, not as EPIPE.
    child.stdin?.on("error", () => undefined);
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/**
 * Runs git and hands its output to `onData` as it arrives (a listing too large to hold twice);
 * fails as runGit does. An error thrown by `onData` stops git and is the one thrown.
 */
export function readGit(cwd: string, args: readonly string[], onData: (chunk: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawnGit(cwd, args, "ignore");
    const stderr: Buffer[] = [];
    let failure: { error: unknown } | undefined;
    child.stdout.on("data", (chunk: Buffer) => {
      if (failure) return;
      try {
        onData(chunk);
      } catch (error) {
        failure = { error };
        child.kill();
      }
    });
    child.stderr.on("data", (d: Buffer) => stderr.push(d));
    child.on("error", (error) => {
      failure ??= { error: notRunnable(args, error) };
    });
    child.on("close", (code, signal) => {
      if (failure) reject(failure.error);
      else if (code !== 0) {
        const said = Buffer.concat(stderr).toString("utf8");
        reject(gitFailed(args, said, code === null ? `killed by ${signal}` : `exit ${code}`));
      } else resolve();
    });
  });
}

/** git could not be started at all. */
function notRunnable(args: readonly string[], error: Error) {
  return gitFailure(`could not run git ${args[0] ?? ""} (is git installed and on PATH?): ${error.message}`, error);
}

/** git ran and failed: its own words, or how it ended (`exit 128`, `killed by SIGTERM`) when it said nothing. */
export function gitFailed(args: readonly string[], stderr: string, ended: string) {
  return gitFailure(`git ${args.join(" ")} failed: ${stderr.trim() || ended}`);
}

/** Starts a long-running or streaming git (`cat-file --batch`, `cat-file blob`) with the same flags and environment. */
export function spawnGit(
  cwd: string,
  args: readonly string[],
  stdin: "pipe",
): ChildProcessByStdio<Writable, Readable, Readable>;
export function spawnGit(
  cwd: string,
  args: readonly string[],
  stdin: "ignore",
): ChildProcessByStdio<null, Readable, Readable>;
export function spawnGit(cwd: string, args: readonly string[], stdin: "pipe" | "ignore") {
  return spawn("git", [...GIT_GLOBAL_ARGS, ...args], {
    cwd,
    env: { ...process.env, ...GIT_ENV },
    stdio: [stdin, "pipe", "pipe"],
  });
}
