import type { Reporter } from "../events.js";
import type { LfsMode } from "../filter/lfs.js";
import type { CommitInfo } from "../git/parse.js";
import type { GitReader } from "../git/port.js";
import type { PointerState } from "../manifest/live.js";
import type { Pointer, PreviewOf } from "../manifest/pointer.js";
import type { Layout } from "../store/layout.js";
import type { ObjectStore } from "../store/port.js";

/** One publish of one workspace: what the entry points (through app/push.ts) ask of publish(). */
export interface PublishRequest {
  git: GitReader;
  store: ObjectStore;
  /** The target and the workspace's name: every key the publish touches. */
  layout: Layout;
  /** Repository-relative workspace directory. */
  dir: string;
  ref: string;
  force: boolean;
  dryRun: boolean;
  /** The most objects a publish may delete (--max-delete); undefined: the default rule (publish/delete-guard.ts). */
  maxDelete?: number | undefined;
  /**
   * An atomic workspace's slot publish: the workspace's live commit and file count, which the delete
   * guard measures against (the slot holds the commit before last).
   */
  guardAgainst?: { commit: string; files: number } | undefined;
  concurrency: number;
  /** The config's `exclude` patterns. */
  excludes: readonly string[];
  /** Git LFS files: their content (default) or their pointer files (config "lfs"). */
  lfs?: LfsMode | undefined;
  reporter: Reporter;
  /** Recorded as `publishedBy` in the pointer and as the lock's holder. */
  actor: string;
  /** Take the workspace's lease lock (default); false only with --unsafe-no-lock. */
  lock?: boolean | undefined;
  /** How long to wait for a lock another publisher holds (default: LOCK_WAIT_MS). */
  lockWaitMs?: number | undefined;
  /** For WSPUB_CRASH_AT and WSPUB_LEASE_MS. */
  env?: NodeJS.ProcessEnv | undefined;
  /**
   * Lets a live commit that is not an ancestor be replaced without --force (the hooks: an amend or
   * rebase made here).
   */
  replaceable?: ((live: string) => Promise<boolean>) | undefined;
  /** A preview workspace's publish (`push --preview`): recorded in its pointer (`ls`, `prune`). */
  preview?: PreviewOf | undefined;
  /** Publish through a link to one of two slots (--atomic, publish/atomic.ts); false: in place. */
  atomic?: boolean | undefined;
  /** Atomic publishes: called once the slot is written and before the link names it (the mounts re-read it). */
  beforeFlip?: ((slot: Layout) => Promise<void>) | undefined;
  /** A slot's publish (publish/atomic.ts): its pointer as already read, instead of reading it again. */
  slotState?: Promise<PointerState> | undefined;
  /** A slot's publish: told what its pointer says once the commit is live in it (or was already). */
  onLive?: ((pointer: LiveFields) => void) | undefined;
}

/** What a pointer says about its live commit (a slot's, which the workspace's pointer then repeats). */
export type LiveFields = Pick<Pointer, "manifest" | "publishedAt" | "files" | "bytes" | "root">;

/** A publish under way: the request, the commit it resolved to, and the digest of its filter's inputs. */
export interface Publishing {
  req: PublishRequest;
  commit: CommitInfo;
  /** filterDigest of the workspace directory and excludes: a live manifest made with another one is not comparable. */
  filter: string;
}

/** What a publish did (or, with --dry-run, would do): `wspub push --json`, the Action's outputs, the webhook. */
export interface PublishResult {
  workspace: string;
  /** A preview's publish: the workspace it previews and its branch; null otherwise. */
  preview: PreviewOf | null;
  commit: string;
  previous: string | null;
  /** The target's URL, with its prefix (s3://bucket/prefix, or the directory). */
  target: string;
  /** The S3 endpoint, when one was given; null for AWS S3 and directories. */
  endpoint: string | null;
  uploaded: number;
  copied: number;
  deleted: number;
  unchanged: number;
  bytesUploaded: number;
  /** Key of the manifest now live; null with --dry-run. */
  manifest: string | null;
  durationMs: number;
  dryRun: boolean;
  /** True when the commit was already live with the same files: nothing was written. */
  noop: boolean;
  /** True when only the paths `git diff-tree` names were looked at; false when the whole tree was compared. */
  incremental: boolean;
  files: number;
  /** Bytes of the files of the commit now live; null with --dry-run (no manifest is made). */
  bytes: number | null;
  excluded: number;
  submodules: string[];
  /** The changed paths (workspace-relative), at most MAX_LISTED_CHANGES of each kind. */
  changes: { uploaded: string[]; copied: string[]; deleted: string[]; truncated: boolean };
}
