import type { Readable } from "node:stream";
import type { AttributeSource } from "./attributes.js";
import type { LfsObjects } from "./lfs-objects.js";
import type { CommitInfo, DiffEntry, TreeEntry } from "./parse.js";

/** What a publish needs from a repository: trees, blobs, commits. The CLI-backed implementation is `openGit`. */
export interface GitReader {
  /** Absolute path of the repository's top level. */
  readonly root: string;
  /** Resolves any commit-ish; throws a usage-level GitError for an unknown ref. */
  resolveCommit(ref: string): Promise<CommitInfo>;
  /** Every entry (recursively) under `dir` (repository-relative, "" for all) at `commit`. */
  listTree(commit: string, dir: string): Promise<TreeEntry[]>;
  /** The entries at exactly these repository-relative paths (those that exist), not recursive. */
  listPaths(commit: string, paths: readonly string[]): Promise<TreeEntry[]>;
  /**
   * The paths (recursively, blobs and gitlinks) that differ between two commits, limited to `paths`
   * (repository-relative; none: all).
   */
  diffTree(from: string, to: string, paths: readonly string[]): Promise<DiffEntry[]>;
  /**
   * A blob read whole, for small files; `undefined` when the object does not exist. An `lfs:<sha256>`
   * id (git/lfs-pointer.ts) reads that Git LFS object's content from the clone's LFS store.
   */
  readObject(spec: string): Promise<Buffer | undefined>;
  /** A blob (or an `lfs:` id's content) as a stream, for large files. */
  streamBlob(oid: string): Readable;
  /** The value git gives attribute `name` for each path, by exactly these `.gitattributes` blobs. */
  attributeValues(
    sources: readonly AttributeSource[],
    paths: readonly string[],
    name: string,
  ): Promise<Map<string, string>>;
  /** The clone's Git LFS objects: which are missing, and fetching them with git-lfs. */
  readonly lfs: LfsObjects;
  /** Whether the object is present locally (false in a shallow clone that lacks it). */
  hasCommit(oid: string): Promise<boolean>;
  /** Whether `ancestor` is reachable from `descendant`. Both must be present. */
  isAncestor(ancestor: string, descendant: string): Promise<boolean>;
  /** Commits in `to` not in `from` (`git rev-list --count from..to`). */
  countCommits(from: string, to: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * A repository on disk: what the hooks, the background publisher and `status` need besides the
 * reader (its directories, config and refs). Only the git CLI implements it.
 */
export interface GitRepository extends GitReader {
  /** The repository's git directory (`.git`, or a worktree's), absolute. */
  gitDir(): Promise<string>;
  /** The directory shared by all worktrees (`git rev-parse --git-common-dir`), absolute. */
  commonDir(): Promise<string>;
  /** `git rev-parse --git-path <name>`, absolute (hooks: right for worktrees and core.hooksPath). */
  gitPath(name: string): Promise<string>;
  /** A config value, or undefined when unset. */
  configValue(key: string): Promise<string | undefined>;
  /** What a symbolic ref points at, in short form (`HEAD` -> `main`), or undefined (detached, or no such ref). */
  symbolicRef(ref: string): Promise<string | undefined>;
  /** Whether a full ref name (`refs/heads/main`) exists. */
  hasRef(ref: string): Promise<boolean>;
  /** The full names of the refs under a prefix (`refs/remotes/`). */
  refNames(prefix: string): Promise<string[]>;
  /** The names of the configured remotes. */
  remoteNames(): Promise<string[]>;
  /**
   * `git fetch <remote> <ref>` of one ref's commit (depth 1 in a shallow clone), written nowhere but
   * the object store: whether it succeeded.
   */
  fetchRef(remote: string, ref: string): Promise<boolean>;
  /** How many paths `git status` shows as changed or untracked under these directories (none: everywhere). */
  uncommittedChanges(dirs: readonly string[]): Promise<number>;
  /** git's own version, as [major, minor]. */
  version(): Promise<[number, number]>;
  /** The commits a ref's reflog names, newest first, at most `limit`; empty without a reflog. */
  reflog(ref: string, limit: number): Promise<string[]>;
}
