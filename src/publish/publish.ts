import { hostname, userInfo } from "node:os";
import { posix } from "node:path";
import type { GitReader } from "../git/port.js";
import { buildPublishSet, type PublishFile, type PublishSet } from "../filter/publish-set.js";
import { manifestDigest, objectName, serializeManifest, totalBytes, type Manifest, type ManifestEntry } from "../manifest/manifest.js";
import { serializePointer, type Pointer } from "../manifest/pointer.js";
import { objectNameConflicts, planPublish, type Plan } from "../plan/plan.js";
import { keyTooLong, type Layout } from "../store/layout.js";
import type { ObjectStore } from "../store/port.js";
import { refusedError, usageError } from "../errors.js";
import { messages } from "../messages.js";
import type { Reporter } from "./events.js";
import { digestBuffer, digestStream, readSmallBlob, STREAM_THRESHOLD, writeOptions, type Digests } from "./content.js";
import { readLive, UnreadableLiveError, type LiveState } from "./live.js";
import { Lease } from "./lease.js";
import { checkConditionalWrites } from "./probe.js";
import { crashPoint } from "./crash.js";
import { journalKey, readJournal, type Journal } from "./journal.js";
import { runBounded } from "./queue.js";

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
 * manifest, then the pointer, then deletes; so the pointer never names objects that are not
 * there, and nothing the live manifest names is deleted before the pointer moves.
 */
export async function publish(req: PublishRequest): Promise<PublishResult> {
  const started = Date.now();
  const { git, store, layout, reporter } = req;
  const env = req.env ?? {};
  const commit = await git.resolveCommit(req.ref);
  const set = await buildPublishSet(git, commit.oid, req.dir, req.excludes);
  for (const path of set.submodules) reporter.event({ type: "notice", message: `skipped submodule ${path} (gitlinks are not published)` });
  if (set.files.length === 0) throw usageError(messages.emptyPublishSet(req.dir, commit.oid, set.excluded.length));
  checkNames(set.files, layout);
  await checkSymlinks(git, set.files);
  const withheld = set.excluded.filter((x) => x.reason.startsWith("secret") || x.reason.startsWith("default: .env"));
  if (withheld.length > 0) {
    const names = withheld.slice(0, 10).map((x) => x.path).join(", ");
    reporter.event({ type: "notice", message: messages.withheld(withheld.length, names) });
  }

  // A first, lock-free look: refusals and no-ops cost no write at all.
  // --force replaces a pointer (or manifest) that cannot be read; it needs the pointer's ETag.
  let brokenEtag: string | undefined;
  const readState = async () => {
    try {
      return await readLive(store, layout);
    } catch (e) {
      if (!(req.force && e instanceof UnreadableLiveError)) throw e;
      reporter.event({ type: "warning", message: `${e.message.replace(/; republish with --force to replace it$/, "")}: replacing it (--force), publishing in full` });
      brokenEtag = e.pointerEtag;
      return undefined;
    }
  };
  const first = await readState();
  await guard(req, first, commit.oid);
  if (first?.manifest && first.pointer.commit === commit.oid) {
    const plan = planPublish(set.files, first.manifest.files);
    if (isEmpty(plan) && !(await readJournal(store, layout))) return outcome(req, started, commit.oid, set, first, plan, first.pointer.manifest, true);
  }
  if (req.dryRun) {
    const { plan } = await planAgainst(req, commit.oid, set, first, undefined);
    return outcome(req, started, commit.oid, set, first, plan, null, false);
  }

  let lease: Lease | undefined;
  if (req.lock !== false) {
    await checkConditionalWrites(store, layout);
    lease = await Lease.acquire({ store, layout, holder: req.actor ?? defaultActor(), reporter, env, waitMs: req.lockWaitMs ?? 300_000 });
  } else {
    reporter.event({ type: "warning", message: "publishing without the lock (--unsafe-no-lock): a concurrent publish can tear the workspace" });
  }
  try {
    // Under the lock, the state to build on: it may have moved while we waited.
    // Under the lock: if the pointer is unchanged (same ETag), the manifest read before is still
    // the live one; re-reading it would cost a whole manifest (24 MB at 100k files).
    const unchanged = first !== undefined && (await store.getVersioned(layout.pointerKey))?.etag === first.pointerEtag;
    const live = unchanged ? first : await readState();
    if (live?.pointer.commit !== first?.pointer.commit) await guard(req, live, commit.oid);
    const journal = await readJournal(store, layout);
    if (journal) reporter.event({ type: "warning", message: `an earlier publish${journal.commit ? ` of ${journal.commit.slice(0, 12)}` : ""} was interrupted: finishing the job` });
    const { plan, liveFiles } = await planAgainst(req, commit.oid, set, live, journal);
    const previous = live?.pointer.commit ?? null;
    if (live?.manifest && previous === commit.oid && isEmpty(plan) && !journal) {
      return outcome(req, started, commit.oid, set, live, plan, live.pointer.manifest, true);
    }
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
    const digests = new Map<string, Digests>();
    for (const entry of Object.values(liveFiles)) digests.set(entry.blob, { sha256: entry.sha256, md5: entry.md5 });
    await applyWrites(req, plan, commit.committerTime, digests, hold);

    const files: Record<string, ManifestEntry> = {};
    for (const k of plan.keep) files[k.file.path] = k.entry;
    for (const a of [...plan.put, ...plan.copy]) {
      const d = digests.get(a.file.oid)!;
      files[a.file.path] = { blob: a.file.oid, sha256: d.sha256, md5: d.md5, size: a.file.size, mode: a.file.mode as ManifestEntry["mode"], mtime: commit.committerTime };
    }
    const manifest: Manifest = { version: 1, workspace: layout.workspace, commit: commit.oid, committedAt: commit.committerTime, files };
    const manifestText = serializeManifest(manifest);
    const manifestKey = layout.manifestKey(commit.oid, manifestDigest(manifestText));
    crashPoint(env, "before-manifest");
    hold();
    await putJson(store, manifestKey, manifestText);
    crashPoint(env, "after-manifest");
    const pointer: Pointer = {
      version: 1,
      workspace: layout.workspace,
      commit: commit.oid,
      manifest: manifestKey,
      previous,
      publishedAt: new Date().toISOString(),
      publishedBy: req.actor ?? defaultActor(),
      files: Object.keys(files).length,
      bytes: totalBytes(manifest),
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
    return outcome(req, started, commit.oid, set, live, plan, manifestKey, false);
  } finally {
    await lease?.release();
  }
}

const isEmpty = (plan: Plan) => plan.put.length === 0 && plan.copy.length === 0 && plan.delete.length === 0;

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

/** Plans against a live state; objects no manifest accounts for (first publish, lost manifest, interrupted publish) are candidates for deletion. */
async function planAgainst(req: PublishRequest, commit: string, set: PublishSet, live: LiveState | undefined, journal: Journal | undefined) {
  const liveFiles = live?.manifest?.files ?? {};
  const strays = new Set<string>();
  if (!live?.manifest) {
    if (live) req.reporter.event({ type: "warning", message: `the live manifest ${live.pointer.manifest} is missing: publishing in full` });
    for await (const o of req.store.list(req.layout.filesPrefix)) strays.add(req.layout.nameOf(o.key));
  }
  for (const name of [...(journal?.writes ?? []), ...(journal?.deletes ?? [])]) strays.add(name);
  const plan = planPublish(set.files, liveFiles, [...strays], new Set(journal?.writes ?? []));
  req.reporter.event({
    type: "plan",
    workspace: req.layout.workspace,
    commit,
    previous: live?.pointer.commit ?? null,
    put: plan.put.length,
    copy: plan.copy.length,
    delete: plan.delete.length,
    keep: plan.keep.length,
    bytes: plan.put.reduce((sum, a) => sum + a.file.size, 0),
  });
  return { plan, liveFiles };
}

/** Compare-and-swap of the pointer. A 412 whose pointer now holds exactly our text is our own write, its response lost. */
async function movePointer(store: ObjectStore, layout: Layout, etag: string | undefined, text: string): Promise<void> {
  const body = Buffer.from(text, "utf8");
  const moved = await store.putConditional(layout.pointerKey, body, etag !== undefined ? { ifMatch: etag } : { ifNoneMatch: true });
  if (moved !== "conflict") return;
  const now = await store.getVersioned(layout.pointerKey);
  if (now?.body.equals(body)) return;
  throw refusedError(messages.pointerMoved(layout.workspace));
}

function outcome(req: PublishRequest, started: number, commit: string, set: PublishSet, live: LiveState | undefined, plan: Plan, manifest: string | null, noop: boolean): PublishResult {
  const list = <T>(items: readonly T[], name: (t: T) => string) => items.slice(0, MAX_LISTED).map(name);
  return {
    workspace: req.layout.workspace,
    commit,
    previous: live?.pointer.commit ?? null,
    target: req.store.description,
    uploaded: plan.put.length,
    copied: plan.copy.length,
    deleted: plan.delete.length,
    unchanged: plan.keep.length,
    bytesUploaded: noop ? 0 : plan.put.reduce((sum, a) => sum + a.file.size, 0),
    manifest,
    durationMs: Date.now() - started,
    dryRun: req.dryRun,
    noop,
    files: set.files.length,
    excluded: set.excluded.length - set.submodules.length,
    submodules: set.submodules,
    changes: {
      uploaded: list(plan.put, (a) => a.file.path),
      copied: list(plan.copy, (a) => a.file.path),
      deleted: list(plan.delete, (n) => n),
      truncated: Math.max(plan.put.length, plan.copy.length, plan.delete.length) > MAX_LISTED,
    },
  };
}

async function applyWrites(req: PublishRequest, plan: Plan, mtime: number, digests: Map<string, Digests>, hold: () => void): Promise<void> {
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
    throw usageError(`two paths map to the same object ${JSON.stringify(conflicts[0])} (a symlink next to a file named like its .rclonelink): rename one, or exclude it in .wspubignore`);
  }
  for (const file of files) {
    // XML 1.0 (S3 listings) cannot carry these: the object could never be listed, verified or deleted by name.
    const control = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.exec(file.path);
    if (control) throw usageError(messages.controlCharacter(file.path, control[0]));
    // git stores names as bytes; one that is not UTF-8 reaches us with U+FFFD and would be published under another name.
    if (file.path.includes("\ufffd")) throw usageError(messages.notUtf8(file.path));
    if (keyTooLong(layout.objectKey(objectName(file.path, file.mode)))) {
      throw usageError(`the path ${JSON.stringify(file.path.slice(0, 80))}... makes an object key over S3's 1024-byte limit: shorten it or exclude it in .wspubignore. Nothing was written.`);
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
  await store.put(key, body, { size: body.length, md5: d.md5, contentType: "application/json", metadata: { md5chksum: d.md5 } });
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
