import { hostname, userInfo } from "node:os";
import type { GitReader } from "../git/port.js";
import { buildPublishSet, type PublishFile } from "../filter/publish-set.js";
import { manifestDigest, objectName, serializeManifest, totalBytes, type Manifest, type ManifestEntry } from "../manifest/manifest.js";
import { serializePointer, type Pointer } from "../manifest/pointer.js";
import { objectNameConflicts, planPublish, type Plan } from "../plan/plan.js";
import { keyTooLong, type Layout } from "../store/layout.js";
import type { ObjectStore } from "../store/port.js";
import { refusedError, usageError } from "../errors.js";
import { messages } from "../messages.js";
import type { Reporter } from "./events.js";
import { digestBuffer, digestStream, readSmallBlob, STREAM_THRESHOLD, writeOptions, type Digests } from "./content.js";
import { readLive } from "./live.js";
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
  const commit = await git.resolveCommit(req.ref);
  const set = await buildPublishSet(git, commit.oid, req.dir, req.excludes);
  for (const path of set.submodules) reporter.event({ type: "notice", message: `skipped submodule ${path} (gitlinks are not published)` });
  if (set.files.length === 0) throw usageError(messages.emptyPublishSet(req.dir, commit.oid, set.excluded.length));
  checkNames(set.files, layout);

  const live = await readLive(store, layout);
  const previous = live?.pointer.commit ?? null;
  if (live && previous !== commit.oid && !req.force) {
    const known = await git.hasCommit(live.pointer.commit);
    const descends = known && (await git.isAncestor(live.pointer.commit, commit.oid));
    if (!descends && !(await req.replaceable?.(live.pointer.commit))) {
      throw refusedError(known ? messages.notAncestor(live.pointer.commit, commit.oid) : messages.liveCommitMissing(live.pointer.commit));
    }
  }
  if (live && !live.manifest) {
    reporter.event({ type: "warning", message: `the live manifest ${live.pointer.manifest} is missing: publishing in full` });
  }
  // Objects under the prefix that no manifest accounts for (a first publish over an old sync, or a
  // lost manifest) are listed once, so that the result is an exact mirror.
  const strays: string[] = [];
  if (!live?.manifest) {
    for await (const o of store.list(layout.filesPrefix)) strays.push(layout.nameOf(o.key));
  }
  const liveFiles = live?.manifest?.files ?? {};
  const plan = planPublish(set.files, liveFiles, strays);
  const bytes = plan.put.reduce((sum, a) => sum + a.file.size, 0);
  reporter.event({
    type: "plan",
    workspace: layout.workspace,
    commit: commit.oid,
    previous,
    put: plan.put.length,
    copy: plan.copy.length,
    delete: plan.delete.length,
    keep: plan.keep.length,
    bytes,
  });

  const list = <T>(items: readonly T[], name: (t: T) => string) => items.slice(0, MAX_LISTED).map(name);
  const changes = {
    uploaded: list(plan.put, (a) => a.file.path),
    copied: list(plan.copy, (a) => a.file.path),
    deleted: list(plan.delete, (n) => n),
    truncated: Math.max(plan.put.length, plan.copy.length, plan.delete.length) > MAX_LISTED,
  };
  const result = (manifest: string | null, noop: boolean): PublishResult => ({
    workspace: layout.workspace,
    commit: commit.oid,
    previous,
    target: store.description,
    uploaded: plan.put.length,
    copied: plan.copy.length,
    deleted: plan.delete.length,
    unchanged: plan.keep.length,
    bytesUploaded: noop ? 0 : bytes,
    manifest,
    durationMs: Date.now() - started,
    dryRun: req.dryRun,
    noop,
    files: set.files.length,
    excluded: set.excluded.length - set.submodules.length,
    submodules: set.submodules,
    changes,
  });

  const unchanged = plan.put.length === 0 && plan.copy.length === 0 && plan.delete.length === 0;
  if (live?.manifest && previous === commit.oid && unchanged) return result(live.pointer.manifest, true);

  const digests = new Map<string, Digests>();
  for (const entry of Object.values(liveFiles)) digests.set(entry.blob, { sha256: entry.sha256, md5: entry.md5 });
  if (req.dryRun) return result(null, false);

  await applyWrites(req, plan, commit.committerTime, digests);

  const files: Record<string, ManifestEntry> = {};
  for (const k of plan.keep) files[k.file.path] = k.entry;
  for (const a of [...plan.put, ...plan.copy]) {
    const d = digests.get(a.file.oid)!;
    files[a.file.path] = { blob: a.file.oid, sha256: d.sha256, md5: d.md5, size: a.file.size, mode: a.file.mode as ManifestEntry["mode"], mtime: commit.committerTime };
  }
  const manifest: Manifest = { version: 1, workspace: layout.workspace, commit: commit.oid, committedAt: commit.committerTime, files };
  const manifestText = serializeManifest(manifest);
  const manifestKey = layout.manifestKey(commit.oid, manifestDigest(manifestText));
  await putJson(store, manifestKey, manifestText);
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
  await putJson(store, layout.pointerKey, serializePointer(pointer));
  await store.deleteMany(plan.delete.map((name) => layout.objectKey(name)));
  return result(manifestKey, false);
}

async function applyWrites(req: PublishRequest, plan: Plan, mtime: number, digests: Map<string, Digests>): Promise<void> {
  const { git, store, layout, reporter } = req;
  const total = plan.put.length + plan.copy.length;
  let done = 0;
  let bytes = 0;
  const tick = (size: number) => {
    done++;
    bytes += size;
    reporter.event({ type: "progress", done, total, bytes });
  };
  const copies = [...plan.copy];
  await runBounded(plan.put, req.concurrency, async ({ file, object }) => {
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
    if (keyTooLong(layout.objectKey(objectName(file.path, file.mode)))) {
      throw usageError(`the path ${JSON.stringify(file.path.slice(0, 80))}... makes an object key over S3's 1024-byte limit: shorten it or exclude it in .wspubignore. Nothing was written.`);
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
