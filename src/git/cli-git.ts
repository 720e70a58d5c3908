import { spawn } from "node:child_process";
import { realpathSync } from "node:fs";
import type { Readable } from "node:stream";
import { CatFileBatch } from "./cat-file.js";
import { git, GIT_ENV, GIT_GLOBAL_ARGS } from "./exec.js";
import {
  parseCommitInfo,
  parseDiffTree,
  parseLsTree,
  type CommitInfo,
  type DiffEntry,
  type TreeEntry,
} from "./parse.js";
import type { GitReader } from "./port.js";
import { gitFailure, gitInputError } from "../errors.js";
import { messages } from "../messages.js";

/** Opens the repository that contains `dir`; throws a usage error when there is none. */
export async function openGit(dir: string): Promise<GitReader> {
  const top = await git(dir, ["rev-parse", "--show-toplevel"], { allowFailure: true });
  if (top.exitCode !== 0) {
    const bare = await git(dir, ["rev-parse", "--is-bare-repository"], { allowFailure: true });
    if (bare.stdout.trim() === "true") throw gitInputError(messages.bareRepository(dir));
    throw gitInputError(messages.notARepository(dir));
  }
  return new CliGit(realpathSync(top.stdout.trim()));
}

class CliGit implements GitReader {
  private batch: CatFileBatch | undefined;
  private readonly present = new Set<string>();

  constructor(readonly root: string) {}

  async resolveCommit(ref: string): Promise<CommitInfo> {
    if (ref.startsWith("-")) throw gitInputError(messages.unknownRef(ref));
    const rev = await git(this.root, ["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`], {
      allowFailure: true,
    });
    if (rev.exitCode !== 0) {
      const head = await git(this.root, ["rev-parse", "--verify", "--quiet", "HEAD"], { allowFailure: true });
      if (head.exitCode !== 0 && ref === "HEAD") throw gitInputError(messages.noCommits(this.root));
      throw gitInputError(messages.unknownRef(ref));
    }
    const show = await git(this.root, ["show", "-s", "--format=%H%x00%T%x00%ct%x00%s", rev.stdout.trim()]);
    return parseCommitInfo(show.stdout);
  }

  async listTree(commit: string, dir: string): Promise<TreeEntry[]> {
    const args = ["ls-tree", "-r", "-z", "-l", "--full-tree", commit];
    if (dir !== "") args.push("--", `${dir}/`);
    return parseLsTree((await git(this.root, args)).stdout);
  }

  async listPaths(commit: string, paths: readonly string[]): Promise<TreeEntry[]> {
    if (paths.length === 0) return [];
    return parseLsTree((await git(this.root, ["ls-tree", "-z", "-l", "--full-tree", commit, "--", ...paths])).stdout);
  }

  async diffTree(from: string, to: string, paths: readonly string[]): Promise<DiffEntry[]> {
    // Plumbing ignores diff.renames; --no-renames says so anyway. GIT_LITERAL_PATHSPECS is set.
    const args = ["diff-tree", "-r", "-z", "--raw", "--no-renames", "--no-commit-id", from, to];
    if (paths.length > 0) args.push("--", ...paths);
    return parseDiffTree((await git(this.root, args)).stdout);
  }

  readObject(spec: string): Promise<Buffer | undefined> {
    this.batch ??= new CatFileBatch(this.root);
    return this.batch.read(spec);
  }

  streamBlob(oid: string): Readable {
    const child = spawn("git", [...GIT_GLOBAL_ARGS, "cat-file", "blob", oid], {
      cwd: this.root,
      env: { ...process.env, ...GIT_ENV },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => {
      if (code !== 0) child.stdout.destroy(gitFailure(`git cat-file blob ${oid} failed: ${stderr.trim()}`));
    });
    return child.stdout;
  }

  async hasCommit(oid: string): Promise<boolean> {
    // A publish asks twice about the live commit (the ordering guard, then the incremental diff);
    // a commit that is present stays present.
    if (this.present.has(oid)) return true;
    const r = await git(this.root, ["cat-file", "-e", `${oid}^{commit}`], { allowFailure: true });
    if (r.exitCode === 0) this.present.add(oid);
    return r.exitCode === 0;
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const r = await git(this.root, ["merge-base", "--is-ancestor", ancestor, descendant], { allowFailure: true });
    if (r.exitCode === 0) return true;
    if (r.exitCode === 1) return false;
    throw gitFailure(`git merge-base failed: ${r.stderr.trim()}`);
  }

  async countCommits(from: string, to: string): Promise<number> {
    const r = await git(this.root, ["rev-list", "--count", `${from}..${to}`]);
    return Number(r.stdout.trim());
  }

  async close(): Promise<void> {
    await this.batch?.close();
    this.batch = undefined;
  }
}
