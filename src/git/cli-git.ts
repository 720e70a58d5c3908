import { realpathSync } from "node:fs";
import { resolve } from "node:path";
import type { Readable } from "node:stream";
import { gitFailure, gitInputError } from "../errors.js";
import { messages } from "../messages.js";
import { type AttributeSource, attributeValues } from "./attributes.js";
import { CatFileBatch } from "./cat-file.js";
import { gitFailed, readGit, runGit, spawnGit } from "./exec.js";
import {
  type CommitInfo,
  type DiffEntry,
  parseCommitObject,
  LsTreeReader,
  parseDiffTree,
  type TreeEntry,
} from "./parse.js";
import { CliLfsObjects } from "./lfs-objects.js";
import { lfsOidOf } from "./lfs-pointer.js";
import type { GitRepository } from "./port.js";

/** Opens the repository that contains `dir`; throws a usage error when there is none. */
export async function openGit(dir: string): Promise<GitRepository> {
  const top = await runGit(dir, ["rev-parse", "--show-toplevel"], { allowFailure: true });
  if (top.exitCode !== 0) {
    const bare = await runGit(dir, ["rev-parse", "--is-bare-repository"], { allowFailure: true });
    if (bare.stdout.trim() === "true") throw gitInputError(messages.bareRepository(dir));
    throw gitInputError(messages.notARepository(dir));
  }
  return new CliGit(realpathSync(top.stdout.trim()));
}

const FULL_OID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

class CliGit implements GitRepository {
  private batch: CatFileBatch | undefined;
  /** Commits found present, and commits resolved from a full id: neither changes while wspub runs. */
  private readonly present = new Set<string>();
  private readonly resolved = new Map<string, CommitInfo>();
  readonly lfs: CliLfsObjects;

  constructor(readonly root: string) {
    this.lfs = new CliLfsObjects(this);
  }

  private run(args: readonly string[], allowFailure = false) {
    return runGit(this.root, args, { allowFailure });
  }

  async resolveCommit(ref: string): Promise<CommitInfo> {
    if (ref.startsWith("-")) throw gitInputError(messages.unknownRef(ref));
    const known = this.resolved.get(ref);
    if (known) return known;
    // Through the cat-file process the publish reads blobs with anyway: no git process of its own.
    const object = ref.includes("\n") ? undefined : await this.batchProcess().readObject(`${ref}^{commit}`);
    if (object === undefined) {
      const head = await this.batchProcess().readObject("HEAD^{commit}");
      if (head === undefined && ref === "HEAD") throw gitInputError(messages.noCommits(this.root));
      throw gitInputError(messages.unknownRef(ref));
    }
    const info = parseCommitObject(object.oid, object.body);
    this.present.add(info.oid);
    // A hook resolves the commit it publishes, then the publish resolves the same id again.
    if (FULL_OID.test(ref) && ref === info.oid) this.resolved.set(ref, info);
    return info;
  }

  async listTree(commit: string, dir: string): Promise<TreeEntry[]> {
    const args = ["ls-tree", "-r", "-z", "-l", "--full-tree", commit];
    if (dir !== "") args.push("--", `${dir}/`);
    return this.lsTree(args);
  }

  async listPaths(commit: string, paths: readonly string[]): Promise<TreeEntry[]> {
    if (paths.length === 0) return [];
    return this.lsTree(["ls-tree", "-z", "-l", "--full-tree", commit, "--", ...paths]);
  }

  /** A `git ls-tree -z -l` listing, parsed as git writes it. */
  private async lsTree(args: readonly string[]): Promise<TreeEntry[]> {
    const reader = new LsTreeReader();
    await readGit(this.root, args, (chunk) => reader.push(chunk));
    return reader.end();
  }

  async diffTree(from: string, to: string, paths: readonly string[]): Promise<DiffEntry[]> {
    // Plumbing ignores diff.renames; --no-renames says so anyway. GIT_LITERAL_PATHSPECS is set.
    const args = ["diff-tree", "-r", "-z", "--raw", "--no-renames", "--no-commit-id", from, to];
    if (paths.length > 0) args.push("--", ...paths);
    return parseDiffTree((await this.run(args)).stdout);
  }

  readObject(spec: string): Promise<Buffer | undefined> {
    const lfs = lfsOidOf(spec);
    return lfs === undefined ? this.batchProcess().read(spec) : this.lfs.read(lfs);
  }

  private batchProcess(): CatFileBatch {
    this.batch ??= new CatFileBatch(this.root);
    return this.batch;
  }

  streamBlob(oid: string): Readable {
    const lfs = lfsOidOf(oid);
    if (lfs !== undefined) return this.lfs.stream(lfs);
    const args = ["cat-file", "blob", oid];
    const child = spawnGit(this.root, args, "ignore");
    const stderr: Buffer[] = [];
    child.stderr.on("data", (d: Buffer) => stderr.push(d));
    child.on("close", (code, signal) => {
      const ended = code === null ? `killed by ${signal}` : `exit ${code}`;
      if (code !== 0) child.stdout.destroy(gitFailed(args, Buffer.concat(stderr).toString("utf8"), ended));
    });
    return child.stdout;
  }

  attributeValues(sources: readonly AttributeSource[], paths: readonly string[], name: string) {
    return attributeValues(this.root, sources, paths, name);
  }

  async hasCommit(oid: string): Promise<boolean> {
    // A publish asks twice about the live commit (the ordering guard, then the incremental diff).
    if (this.present.has(oid)) return true;
    if (oid.includes("\n") || (await this.batchProcess().readObject(`${oid}^{commit}`)) === undefined) return false;
    this.present.add(oid);
    return true;
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const r = await this.run(["merge-base", "--is-ancestor", ancestor, descendant], true);
    if (r.exitCode === 0) return true;
    if (r.exitCode === 1) return false;
    throw gitFailure(`git merge-base failed: ${r.stderr.trim()}`);
  }

  async countCommits(from: string, to: string): Promise<number> {
    const r = await this.run(["rev-list", "--count", `${from}..${to}`]);
    return Number(r.stdout.trim());
  }

  async gitDir(): Promise<string> {
    return resolve(this.root, (await this.run(["rev-parse", "--git-dir"])).stdout.trim());
  }

  async commonDir(): Promise<string> {
    return resolve(this.root, (await this.run(["rev-parse", "--git-common-dir"])).stdout.trim());
  }

  async gitPath(name: string): Promise<string> {
    return resolve(this.root, (await this.run(["rev-parse", "--git-path", name])).stdout.trim());
  }

  async configValue(key: string): Promise<string | undefined> {
    const r = await this.run(["config", "--get", key], true);
    const value = r.stdout.trim();
    return r.exitCode === 0 && value !== "" ? value : undefined;
  }

  async symbolicRef(ref: string): Promise<string | undefined> {
    const r = await this.run(["symbolic-ref", "--quiet", "--short", ref], true);
    const value = r.stdout.trim();
    return r.exitCode === 0 && value !== "" ? value : undefined;
  }

  async hasRef(ref: string): Promise<boolean> {
    return (await this.run(["show-ref", "--verify", "--quiet", ref], true)).exitCode === 0;
  }

  async fetchRef(remote: string, ref: string): Promise<boolean> {
    // A shallow clone (actions/checkout's default) stays shallow: only the commit itself is fetched.
    const shallow = (await this.run(["rev-parse", "--is-shallow-repository"])).stdout.trim() === "true";
    const args = ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", ...(shallow ? ["--depth=1"] : [])];
    return (await this.run([...args, "--", remote, ref], true)).exitCode === 0;
  }

  async refNames(prefix: string): Promise<string[]> {
    const r = await this.run(["for-each-ref", "--format=%(refname)", prefix]);
    return r.stdout.split("\n").filter((l: string) => l !== "");
  }

  async uncommittedChanges(dirs: readonly string[]): Promise<number> {
    // Submodules are never published: their changes are not counted.
    const args = ["status", "--porcelain=v1", "-z", "--untracked-files=normal", "--ignore-submodules=all"];
    const r = await this.run(dirs.length > 0 ? [...args, "--", ...dirs] : args);
    // -z: `XY path` NUL per path; a rename or copy (X or Y is R or C) is followed by its old path.
    const entries = r.stdout.split("\0").filter((e: string) => e !== "");
    let count = 0;
    for (let i = 0; i < entries.length; i++) {
      count++;
      if (/^(R|C|.R|.C)/.test(entries[i]!.slice(0, 2))) i++;
    }
    return count;
  }

  async remoteNames(): Promise<string[]> {
    return (await this.run(["remote"])).stdout.split("\n").filter((l: string) => l !== "");
  }

  async reflog(ref: string, limit: number): Promise<string[]> {
    const r = await this.run(["reflog", "show", "-n", String(limit), "--format=%H", ref, "--"], true);
    return r.exitCode === 0 ? r.stdout.split("\n").filter((l: string) => l !== "") : [];
  }

  async version(): Promise<[number, number]> {
    const m = /(\d+)\.(\d+)/.exec((await this.run(["--version"])).stdout);
    return m ? [Number(m[1]), Number(m[2])] : [0, 0];
  }

  async close(): Promise<void> {
    await this.batch?.close();
    this.batch = undefined;
  }
}
