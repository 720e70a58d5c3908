import { hostname, userInfo } from "node:os";
import { posix } from "node:path";
import type { GitReader } from "../git/port.js";
import {
  ancestorIgnoreFiles,
  buildFilter,
  buildPublishSet,
  filterDigest,
  isIgnoreSource,
  type ExcludedFile,
  type PublishFile,
} from "../filter/publish-set.js";
import type { CommitInfo } from "../git/parse.js";
import {
  entryOf,
  fileRecord,
  LINK_SUFFIX,
  manifestDigest,
  objectName,
  totalBytes,
  type ManifestEntry,
} from "../manifest/entry.js";
import {
  addShard,
  bitsOf,
  buildShards,
  chooseBits,
  fits,
  serializeRoot,
  shardIndex,
  type IgnoreSource,
  type ManifestRoot,
} from "../manifest/sharded.js";
import { serializePointer, type Pointer } from "../manifest/pointer.js";
import { objectNameConflicts, planPublish, type Plan } from "../plan/plan.js";
import { keyTooLong, type Layout } from "../store/layout.js";
import type { ObjectStore } from "../store/port.js";
import { refusedError, storeError, usageError } from "../errors.js";
import { messages } from "../messages.js";
import type { Reporter } from "../events.js";
import { digestBuffer, digestStream, readSmallBlob, STREAM_THRESHOLD, writeOptions, type Digests } from "./content.js";
import { readLive, readLiveFiles, readShard, UnreadableLiveError, type LiveState } from "../manifest/live.js";
import { Lease } from "../lock/lease.js";
import { checkConditionalWrites } from "../lock/conditional-writes.js";
import { crashPoint } from "./crash.js";
import { journalKey, readJournal, type Journal } from "../manifest/journal.js";
import { runBounded } from "../queue.js";

export interface PublishRequest {
  git: GitReader;
  store: ObjectStore;
  layout: Layout;
  /** Repository-relative workspace directory. */
  dir: string;
  ref: string;
  force: boolean;
  dryRun: boolean;
  concurrency: number;
  excludes: readonly string[];
  reporter: Reporter;
  actor?: string;
  /** Take the workspace's lease lock (default); false only with --unsafe-no-lock. */
  lock?: boolean | undefined;
  /** How long to wait for a lock another publisher holds (default 5 minutes). */
  lockWaitMs?: number | undefined;
  /** For WSPUB_CRASH_AT and WSPUB_LEASE_MS. */
  env?: NodeJS.ProcessEnv | undefined;
  /** Lets a live commit that is not an ancestor be replaced without --force (the hooks: an amend or rebase made here). */
  replaceable?: ((live: string) => Promise<boolean>) | undefined;
}

export interface PublishResult {
  workspace: string;
  commit: string;
  previous: string | null;
  target: string;
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
  excluded: number;
  submodules: string[];
  /** The changed paths (workspace-relative), at most MAX_LISTED of each kind. */
  changes: { uploaded: string[]; copied: string[]; deleted: string[]; truncated: boolean };
}

/** How many changed paths of each kind a result lists (a first publish of 100k files would be huge). */
export const MAX_LISTED = 200;

/** S3's CopyObject limit; larger objects are uploaded again instead of copied. */
const MAX_COPY_BYTES = 5 * 1024 ** 3;

/**
 * Publishes one commit of one workspace. Order of writes: new objects, then the immutable
 * manifest (shards, then root), then the pointer, then deletes; so the pointer never names objects
 * that are not there, and nothing the live manifest names is deleted before the pointer moves.
 */
export async function publish(req: PublishRequest): Promise<PublishResult> {
  const started = Date.now();
  const { git, store, layout, reporter } = req;
  const env = req.env ?? {};
  const filter = filterDigest(req.dir, req.excludes);

  // A first, lock-free look: refusals and no-ops cost no write at all.
  // --force replaces a pointer (or manifest) that cannot be read; it needs the pointer's ETag.
  let brokenEtag: string | undefined;
  const readState = async () => {
    try {
      return await readLive(store, layout);
    } catch (e) {
      if (!(req.force && e instanceof UnreadableLiveError)) throw e;
      reportReplaced(reporter, e);
      brokenEtag = e.pointerEtag;
      return undefined;
    }
  };
  // git and the store answer at the same time, but a bad ref is the error reported, whatever the
  // store says (its failure is then ignored here).
  const reading = readState();
  reading.catch(() => undefined);
  const commit = await git.resolveCommit(req.ref);
  const first = await reading;
  await guard(req, first, commit.oid);
  // The live commit, filtered with the same rules and nothing interrupted: its publish set is the live one.
  // --force republishes the live commit in full: it rewrites a manifest whose shards were lost.
  if (!req.force && isLive(first, commit.oid, filter) && !(await readJournal(store, layout)))
    return noopOutcome(req, started, first);
  // Planned before the lock, so that bad input (names, symlinks, an empty set) is refused before
  // anything is written, and reused under the lock when nothing moved meanwhile.
  const planned = await propose(req, commit, filter, first, undefined);
  if (req.dryRun) return outcome(req, started, commit.oid, first, reportPlan(req, commit, first, planned), null, false);

  let lease: Lease | undefined;
  if (req.lock !== false) {
    await checkConditionalWrites(store, layout);
    lease = await Lease.acquire({
      store,
      layout,
      holder: req.actor ?? defaultActor(),
      reporter,
      env,
      waitMs: req.lockWaitMs ?? 300_000,
    });
  } else {
    reporter.event({
      type: "warning",
      message: "publishing without the lock (--unsafe-no-lock): a concurrent publish can tear the workspace",
    });
  }
  try {
    // Under the lock, the state to build on: it may have moved while we waited.
    const [now, journal] = await Promise.all([store.getVersioned(layout.pointerKey), readJournal(store, layout)]);
    const unchanged =
      first !== undefined ? now?.etag === first.pointerEtag : now === undefined && brokenEtag === undefined;
    const live = unchanged ? first : await readState();
    if (live?.pointer.commit !== first?.pointer.commit) await guard(req, live, commit.oid);
    if (journal)
      reporter.event({
        type: "warning",
        message: `an earlier publish${journal.commit ? ` of ${journal.commit.slice(0, 12)}` : ""} was interrupted: finishing the job`,
      });
    else if (!req.force && isLive(live, commit.oid, filter)) return noopOutcome(req, started, live);
    const proposal = reportPlan(
      req,
      commit,
      live,
      unchanged && !journal ? planned : await propose(req, commit, filter, live, journal),
    );
    const { plan } = proposal;
    const previous = live?.pointer.commit ?? null;
    const hold = () => lease?.assertHeld();
    const touches = plan.put.length + plan.copy.length + plan.delete.length > 0;
    if (touches) {
      const record: Journal = {
        version: 1,
        commit: commit.oid,
        startedAt: new Date().toISOString(),
        holder: req.actor ?? defaultActor(),
        writes: [...plan.put, ...plan.copy].map((a) => a.object),
        deletes: plan.delete,
      };
      hold();
      await putJson(store, journalKey(layout), JSON.stringify(record));
      crashPoint(env, "after-journal");
    }
    await applyWrites(req, plan, commit.committerTime, proposal.digests, hold);

    const written = fileRecord();
    for (const a of [...plan.put, ...plan.copy]) {
      const d = proposal.digests.get(a.file.oid)!;
      written[a.file.path] = {
        blob: a.file.oid,
        sha256: d.sha256,
        md5: d.md5,
        size: a.file.size,
        mode: a.file.mode as ManifestEntry["mode"],
        mtime: commit.committerTime,
      };
    }
    const next = await proposal.manifest(written);
    const rootText = serializeRoot(next.root);
    const manifestKey = layout.manifestKey(commit.oid, manifestDigest(rootText));
    crashPoint(env, "before-manifest");
    await runBounded(
      [...next.texts].filter(([digest]) => !proposal.present.has(digest)),
      req.concurrency,
      async ([digest, text]) => {
        hold();
        await putJson(store, layout.shardKey(digest), text);
      },
    );
    hold();
    await putJson(store, manifestKey, rootText);
    crashPoint(env, "after-manifest");
    const pointer: Pointer = {
      version: 1,
      workspace: layout.workspace,
      commit: commit.oid,
      manifest: manifestKey,
      previous,
      publishedAt: new Date().toISOString(),
      publishedBy: req.actor ?? defaultActor(),
      files: next.root.files,
      bytes: next.root.bytes,
    };
    hold();
    await movePointer(store, layout, live?.pointerEtag ?? brokenEtag, serializePointer(pointer));
    crashPoint(env, "after-pointer");
    const doomed = plan.delete.map((name) => layout.objectKey(name));
    const half = Math.ceil(doomed.length / 2);
    hold();
    await store.deleteMany(doomed.slice(0, half));
    crashPoint(env, "during-deletes");
    await store.deleteMany(doomed.slice(half));
    crashPoint(env, "before-journal-delete");
    if (touches || journal) await store.deleteMany([journalKey(layout)]);
    return outcome(req, started, commit.oid, live, proposal, manifestKey, false);
  } finally {
    await lease?.release();
  }
}

/** Whether `commit` is live with a version 2 manifest made by the same filter. */
function isLive(
  live: LiveState | undefined,
  commit: string,
  filter: string,
): live is LiveState & { stored: { version: 2; root: ManifestRoot } } {
  return (
    live?.pointer.commit === commit &&
    live.stored?.version === 2 &&
    live.stored.root.commit === commit &&
    live.stored.root.filter === filter
  );
}

/** The ordering guard: the live commit must be an ancestor of the new one, unless forced or replaceable. */
async function guard(req: PublishRequest, live: LiveState | undefined, next: string): Promise<void> {
  if (!live || live.pointer.commit === next || req.force) return;
  const current = live.pointer.commit;
  const known = await req.git.hasCommit(current);
  if (known && (await req.git.isAncestor(current, next))) return;
  if (await req.replaceable?.(current)) return;
  if (!known) throw refusedError(messages.liveCommitMissing(current));
  if (await req.git.isAncestor(next, current)) throw refusedError(messages.olderThanLive(next, current));
  throw refusedError(messages.notAncestor(current, next));
}

/** What a publish will do, and how to make its manifest once the writes are done. */
interface Proposal {
  plan: Plan;
  /** Content digests by blob id, of live content; the writes add theirs. */
  digests: Map<string, Digests>;
  /** Files and (non-gitlink) excluded files of the new commit, as its manifest root will record them. */
  files: number;
  excluded: number;
  submodules: string[];
  /** Whether only the changed paths were looked at (`git diff-tree` against the live commit). */
  incremental: boolean;
  /** Skipped submodules and withheld secrets, for the reporter. */
  notices: string[];
  /** Shards known to be in the store (read by this publish, or named by the live root and not in doubt): not written again. */
  present: ReadonlySet<string>;
  manifest: (written: Record<string, ManifestEntry>) => Promise<{ root: ManifestRoot; texts: Map<string, string> }>;
}

async function propose(
  req: PublishRequest,
  commit: CommitInfo,
  filter: string,
  live: LiveState | undefined,
  journal: Journal | undefined,
): Promise<Proposal> {
  // A forced republish of the live commit compares in full (it is how a lost shard is rewritten).
  const incremental = journal === undefined && !(req.force && live?.pointer.commit === commit.oid);
  return (
    (incremental && (await incrementalProposal(req, commit, filter, live))) ||
    (await fullProposal(req, commit, filter, live, journal))
  );
}

function reportPlan(
  req: PublishRequest,
  commit: CommitInfo,
  live: LiveState | undefined,
  proposal: Proposal,
): Proposal {
  const { plan } = proposal;
  for (const message of proposal.notices) req.reporter.event({ type: "notice", message });
  req.reporter.event({
    type: "plan",
    workspace: req.layout.workspace,
    commit: commit.oid,
    previous: live?.pointer.commit ?? null,
    put: plan.put.length,
    copy: plan.copy.length,
    delete: plan.delete.length,
    keep: proposal.files - plan.put.length - plan.copy.length,
    bytes: plan.put.reduce((sum, a) => sum + a.file.size, 0),
  });
  return proposal;
}

/**
 * The whole publish set against the whole live manifest (and, where no manifest accounts for the
 * objects, a listing of the prefix): a first publish, a filter that changed, an interrupted
 * publish, or a live commit this clone does not have.
 */
async function fullProposal(
  req: PublishRequest,
  commit: CommitInfo,
  filter: string,
  live: LiveState | undefined,
  journal: Journal | undefined,
): Promise<Proposal> {
  const { git, store, layout, reporter } = req;
  const set = await buildPublishSet(git, commit.oid, req.dir, req.excludes);
  if (set.files.length === 0) throw usageError(messages.emptyPublishSet(req.dir, commit.oid, set.excluded.length));
  checkNames(set.files, layout);
  await checkSymlinks(git, set.files);

  let liveFiles: Record<string, ManifestEntry> | undefined;
  try {
    liveFiles = live ? await readLiveFiles(store, layout, live, req.concurrency) : undefined;
  } catch (e) {
    if (!(req.force && e instanceof UnreadableLiveError)) throw e;
    reportReplaced(reporter, e);
  }
  const strays = new Set<string>();
  if (!liveFiles) {
    if (live)
      reporter.event({
        type: "warning",
        message: `the live manifest ${live.pointer.manifest} (or a shard of it) is missing: publishing in full`,
      });
    for await (const o of store.list(layout.filesPrefix)) strays.add(layout.nameOf(o.key));
  }
  for (const name of [...(journal?.writes ?? []), ...(journal?.deletes ?? [])]) strays.add(name);
  const plan = planPublish(set.files, liveFiles ?? {}, [...strays], new Set(journal?.writes ?? []));
  const excluded = set.excluded.length - set.submodules.length;
  const liveBits = live?.stored?.version === 2 ? bitsOf(live.stored.root) : undefined;
  return {
    plan,
    digests: digestsOf(Object.values(liveFiles ?? {})),
    files: set.files.length,
    excluded,
    submodules: set.submodules,
    incremental: false,
    notices: notices(set.submodules, set.excluded),
    // Every shard of the live root was read, or none counts as present.
    present: new Set(liveFiles && live?.stored?.version === 2 ? live.stored.root.shards : []),
    manifest: async (written) => {
      const files = fileRecord(written);
      for (const k of plan.keep) files[k.file.path] = k.entry;
      const { digests, texts } = buildShards(files, chooseBits(set.files.length, liveBits));
      return {
        root: rootOf(
          req,
          commit,
          filter,
          { files: set.files.length, bytes: totalBytes(files), excluded },
          set.ignore,
          digests,
        ),
        texts,
      };
    },
  };
}

/** Changed paths per publish beyond which the whole tree is compared instead. */
const MAX_INCREMENTAL = 5000;
const MAX_ARG_BYTES = 512 * 1024;

/**
 * Only what changed: `git diff-tree` between the live commit and this one names the paths to
 * look at, the live manifest's shards that hold them are read, and only those shards are
 * rewritten. Possible when the live manifest is a version 2 root made by the same filter, this
 * clone has the live commit, and no ignore file changed (a changed ignore file can change the
 * verdict on paths that did not change). Undefined when not possible.
 */
async function incrementalProposal(
  req: PublishRequest,
  commit: CommitInfo,
  filter: string,
  live: LiveState | undefined,
): Promise<Proposal | undefined> {
  const { git, store, layout, reporter } = req;
  if (live?.stored?.version !== 2) return undefined;
  const root = live.stored.root;
  if (root.filter !== filter || root.commit !== live.pointer.commit || !(await git.hasCommit(root.commit)))
    return undefined;
  const wsBase = req.dir === "" ? "" : `${req.dir}/`;
  const diff = await git.diffTree(
    root.commit,
    commit.oid,
    req.dir === "" ? [] : [wsBase, ...ancestorIgnoreFiles(req.dir)],
  );
  if (diff.length > MAX_INCREMENTAL || diff.some((d) => isIgnoreSource(d.path, req.dir))) return undefined;
  // The changed paths go on one `git ls-tree` command line: stay far below ARG_MAX (2 MiB on Linux).
  if (diff.reduce((sum, d) => sum + Buffer.byteLength(d.path) + 1, 0) > MAX_ARG_BYTES) return undefined;

  const bits = bitsOf(root);
  const changed = diff.map((d) => d.path.slice(wsBase.length));
  const present = await git.listPaths(
    commit.oid,
    diff.filter((d) => d.newMode !== "000000").map((d) => d.path),
  );
  // No changed path in the workspace (a monorepo commit elsewhere): no need to read the ignore files.
  const rules = present.length === 0 ? undefined : await buildFilter(git, req.dir, root.ignore, req.excludes);
  // (rules is only undefined when there is nothing to classify)
  const desired: PublishFile[] = [];
  const excludedNow: ExcludedFile[] = [];
  const submodules: string[] = [];
  for (const e of present) {
    const verdict = await rules!.classify(e);
    if (verdict.kind === "file") desired.push(verdict.file);
    else if (verdict.kind === "excluded") excludedNow.push(verdict.excluded);
    else if (verdict.kind === "submodule") submodules.push(verdict.path);
  }
  // Object-name twins (`x` a symlink, `x.rclonelink` a file) may be among the unchanged paths.
  const twins = desired
    .map((f) =>
      f.mode === "120000"
        ? `${f.path}${LINK_SUFFIX}`
        : f.path.endsWith(LINK_SUFFIX)
          ? f.path.slice(0, -LINK_SUFFIX.length)
          : undefined,
    )
    .filter((t): t is string => t !== undefined);

  const indexes = [...new Set([...changed, ...twins].map((p) => shardIndex(p, bits)))];
  const shards = new Map<number, Record<string, ManifestEntry>>();
  let lost = false;
  try {
    await runBounded(indexes, req.concurrency, async (i) => {
      const shard = await readShard(store, layout, live, root.shards[i]!);
      if (shard === undefined) lost = true;
      else shards.set(i, shard);
    });
  } catch (e) {
    // A corrupt shard: --force compares in full, which replaces it.
    if (req.force && e instanceof UnreadableLiveError) return undefined;
    throw e;
  }
  if (lost) return undefined;
  const liveEntry = (path: string) => {
    const shard = shards.get(shardIndex(path, bits));
    return shard === undefined ? undefined : entryOf(shard, path);
  };

  const changedSet = new Set(changed);
  const unchangedTwins = twins
    .filter((t) => !changedSet.has(t))
    .flatMap((t) => {
      const e = liveEntry(t);
      return e ? [{ path: t, mode: e.mode, oid: e.blob, size: e.size }] : [];
    });
  checkNames([...desired, ...unchangedTwins], layout);
  await checkSymlinks(git, desired);

  const liveSubset = fileRecord();
  let excluded = root.excluded + excludedNow.length;
  for (const d of diff) {
    const path = d.path.slice(wsBase.length);
    const entry = liveEntry(path);
    if (entry) liveSubset[path] = entry;
    else if (d.oldMode !== "000000" && d.oldMode !== "160000") excluded--; // it was there, and filtered out
  }
  const plan = planPublish(desired, liveSubset);
  const goneFiles = Object.keys(liveSubset).length;
  const files = root.files - goneFiles + desired.length;
  if (files === 0) throw usageError(messages.emptyPublishSet(req.dir, commit.oid, excluded));
  return {
    plan,
    digests: digestsOf(Object.values(liveSubset)),
    files,
    excluded,
    submodules,
    incremental: true,
    notices: notices(submodules, excludedNow),
    // The unread shards are kept by name; the rewritten ones are new.
    present: new Set(root.shards),
    manifest: async (written) => {
      const next = fileRecord(written);
      for (const k of plan.keep) next[k.file.path] = k.entry;
      if (!fits(files, bits)) {
        // Grown or shrunk past the shard layout's bounds: lay the whole list out again.
        const all = await readLiveFiles(store, layout, live, req.concurrency);
        // A shard gone since it was planned: stop before any manifest is written; the journal
        // makes the next run compare in full.
        if (all === undefined)
          throw storeError(
            `a shard of the live manifest ${live.pointer.manifest} disappeared during the publish: run wspub push again`,
          );
        for (const path of changed) delete all[path];
        Object.assign(all, next);
        const { digests, texts } = buildShards(all, chooseBits(files));
        return {
          root: rootOf(req, commit, filter, { files, bytes: totalBytes(all), excluded }, root.ignore, digests),
          texts,
        };
      }
      const digests = [...root.shards];
      const texts = new Map<string, string>();
      let bytes = root.bytes;
      for (const [i, shard] of shards) {
        const updated = fileRecord(shard);
        for (const path of changed) {
          if (shardIndex(path, bits) !== i) continue;
          bytes -= entryOf(updated, path)?.size ?? 0;
          delete updated[path];
          const entry = entryOf(next, path);
          if (entry) {
            updated[path] = entry;
            bytes += entry.size;
          }
        }
        digests[i] = addShard(texts, updated);
      }
      return { root: rootOf(req, commit, filter, { files, bytes, excluded }, root.ignore, digests), texts };
    },
  };
}

function rootOf(
  req: PublishRequest,
  commit: CommitInfo,
  filter: string,
  counts: { files: number; bytes: number; excluded: number },
  ignoreSources: IgnoreSource[],
  shards: string[],
): ManifestRoot {
  return {
    version: 2,
    workspace: req.layout.workspace,
    commit: commit.oid,
    committedAt: commit.committerTime,
    ...counts,
    filter,
    ignore: ignoreSources,
    shards,
  };
}

/** The warning when --force replaces a live record that cannot be read. */
function reportReplaced(reporter: Reporter, e: UnreadableLiveError): void {
  reporter.event({
    type: "warning",
    message: `${e.message.replace(/; republish with --force to replace it$/, "")}: replacing it (--force), publishing in full`,
  });
}

function digestsOf(entries: Iterable<ManifestEntry>): Map<string, Digests> {
  const digests = new Map<string, Digests>();
  for (const e of entries) digests.set(e.blob, { sha256: e.sha256, md5: e.md5 });
  return digests;
}

/** What a proposal tells the user (once, even when it is made again under the lock). */
function notices(submodules: readonly string[], excluded: readonly ExcludedFile[]): string[] {
  const out = submodules.map((path) => `skipped submodule ${path} (gitlinks are not published)`);
  const withheld = excluded.filter((x) => x.reason.startsWith("secret") || x.reason.startsWith("default: .env"));
  if (withheld.length > 0)
    out.push(
      messages.withheld(
        withheld.length,
        withheld
          .slice(0, 10)
          .map((x) => x.path)
          .join(", "),
      ),
    );
  return out;
}

/** Compare-and-swap of the pointer. A 412 whose pointer now holds exactly our text is our own write, its response lost. */
async function movePointer(store: ObjectStore, layout: Layout, etag: string | undefined, text: string): Promise<void> {
  const body = Buffer.from(text, "utf8");
  const moved = await store.putConditional(
    layout.pointerKey,
    body,
    etag !== undefined ? { ifMatch: etag } : { ifNoneMatch: true },
  );
  if (moved !== "conflict") return;
  const now = await store.getVersioned(layout.pointerKey);
  if (now?.body.equals(body)) return;
  throw refusedError(messages.pointerMoved(layout.workspace));
}

function outcome(
  req: PublishRequest,
  started: number,
  commit: string,
  live: LiveState | undefined,
  p: Pick<Proposal, "plan" | "files" | "excluded" | "submodules" | "incremental">,
  manifest: string | null,
  noop: boolean,
): PublishResult {
  const { plan } = p;
  const list = <T>(items: readonly T[], name: (t: T) => string) => items.slice(0, MAX_LISTED).map(name);
  return {
    workspace: req.layout.workspace,
    commit,
    previous: live?.pointer.commit ?? null,
    target: req.store.description,
    uploaded: plan.put.length,
    copied: plan.copy.length,
    deleted: plan.delete.length,
    unchanged: p.files - plan.put.length - plan.copy.length,
    bytesUploaded: noop ? 0 : plan.put.reduce((sum, a) => sum + a.file.size, 0),
    manifest,
    durationMs: Date.now() - started,
    dryRun: req.dryRun,
    noop,
    incremental: p.incremental,
    files: p.files,
    excluded: p.excluded,
    submodules: p.submodules,
    changes: {
      uploaded: list(plan.put, (a) => a.file.path),
      copied: list(plan.copy, (a) => a.file.path),
      deleted: list(plan.delete, (n) => n),
      truncated: Math.max(plan.put.length, plan.copy.length, plan.delete.length) > MAX_LISTED,
    },
  };
}

function noopOutcome(
  req: PublishRequest,
  started: number,
  live: LiveState & { stored: { version: 2; root: ManifestRoot } },
): PublishResult {
  const { root } = live.stored;
  const plan: Plan = { put: [], copy: [], keep: [], delete: [] };
  return outcome(
    req,
    started,
    root.commit,
    live,
    { plan, files: root.files, excluded: root.excluded, submodules: [], incremental: true },
    live.pointer.manifest,
    true,
  );
}

async function applyWrites(
  req: PublishRequest,
  plan: Plan,
  mtime: number,
  digests: Map<string, Digests>,
  hold: () => void,
): Promise<void> {
  const { git, store, layout, reporter } = req;
  const env = req.env ?? {};
  const total = plan.put.length + plan.copy.length;
  let done = 0;
  let bytes = 0;
  const tick = (size: number) => {
    done++;
    bytes += size;
    reporter.event({ type: "progress", done, total, bytes });
    crashPoint(env, `upload:${done}`);
  };
  const copies = [...plan.copy];
  await runBounded(plan.put, req.concurrency, async ({ file, object }) => {
    hold();
    const key = layout.objectKey(object);
    if (file.size <= STREAM_THRESHOLD) {
      const body = await readSmallBlob(git, file.oid);
      const d = digestBuffer(body);
      digests.set(file.oid, d);
      await store.put(key, body, writeOptions(file, d.md5, mtime));
    } else {
      const d = digests.get(file.oid) ?? (await digestStream(git, file.oid));
      digests.set(file.oid, d);
      await store.putStream(key, () => git.streamBlob(file.oid), writeOptions(file, d.md5, mtime));
    }
    tick(file.size);
  });
  await runBounded(copies, req.concurrency, async ({ file, object, from }) => {
    hold();
    const d = digests.get(file.oid)!;
    const options = writeOptions(file, d.md5, mtime);
    if (file.size > MAX_COPY_BYTES) {
      await store.putStream(layout.objectKey(object), () => git.streamBlob(file.oid), options);
    } else {
      await store.copy(layout.objectKey(from), layout.objectKey(object), options);
    }
    tick(0);
  });
}

function checkNames(files: readonly PublishFile[], layout: Layout): void {
  const conflicts = objectNameConflicts(files);
  if (conflicts.length > 0) {
    throw usageError(
      `two paths map to the same object ${JSON.stringify(conflicts[0])} (a symlink next to a file named like its .rclonelink): rename one, or exclude it in .wspubignore`,
    );
  }
  for (const file of files) {
    // XML 1.0 (S3 listings) cannot carry these: the object could never be listed, verified or deleted by name.
    const control = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.exec(file.path);
    if (control) throw usageError(messages.controlCharacter(file.path, control[0]));
    // git stores names as bytes; one that is not UTF-8 reaches us with U+FFFD and would be published under another name.
    if (file.path.includes("\ufffd")) throw usageError(messages.notUtf8(file.path));
    if (keyTooLong(layout.objectKey(objectName(file.path, file.mode)))) {
      throw usageError(
        `the path ${JSON.stringify(file.path.slice(0, 80))}... makes an object key over S3's 1024-byte limit: shorten it or exclude it in .wspubignore. Nothing was written.`,
      );
    }
  }
}

/** A symlink whose target leaves the workspace would dangle (or worse, point into the host) in the mount. */
async function checkSymlinks(git: GitReader, files: readonly PublishFile[]): Promise<void> {
  for (const file of files) {
    if (file.mode !== "120000") continue;
    const target = (await git.readObject(file.oid))?.toString("utf8") ?? "";
    const resolved = posix.normalize(posix.join(posix.dirname(file.path), target));
    if (target.startsWith("/") || resolved === ".." || resolved.startsWith("../")) {
      throw usageError(messages.symlinkOutside(file.path, target));
    }
  }
}

async function putJson(store: ObjectStore, key: string, text: string): Promise<void> {
  const body = Buffer.from(text, "utf8");
  const d = digestBuffer(body);
  await store.put(key, body, {
    size: body.length,
    md5: d.md5,
    contentType: "application/json",
    metadata: { md5chksum: d.md5 },
  });
}

export function defaultActor(env: NodeJS.ProcessEnv = process.env): string {
  if (env["WSPUB_ACTOR"]) return env["WSPUB_ACTOR"];
  if (env["GITHUB_ACTOR"]) return `${env["GITHUB_ACTOR"]} (GitHub Actions)`;
  let user = "unknown";
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (some containers)
  }
  return `${user}@${hostname()}`;
}
