import { usageError } from "../errors.js";
import { checkNames, checkSymlinks } from "../filter/checks.js";
import {
  ancestorIgnoreFiles,
  buildFilter,
  type ExcludedFile,
  isIgnoreSource,
  type PublishFile,
} from "../filter/publish-set.js";
import type { DiffEntry, TreeEntry } from "../git/parse.js";
import { MAX_ARG_BYTES, MAX_INCREMENTAL_PATHS } from "../limits.js";
import { entryOf, fileRecord, type ManifestEntry } from "../manifest/entry.js";
import { type LiveState, readLiveFiles, readShard, UnreadableLiveError } from "../manifest/live.js";
import {
  addShard,
  bitsOf,
  buildShards,
  chooseBits,
  ENTRY_PAIRS,
  fits,
  type ManifestRoot,
  type ShardTexts,
  shardIndex,
} from "../manifest/sharded.js";
import { ancestorAttributeFiles, withLfsContent } from "../filter/lfs.js";
import { messages } from "../messages.js";
import { planPublish } from "../plan/plan.js";
import { runBounded } from "../queue.js";
import { objectNameTwin } from "../store/layout.js";
import { storeError } from "../errors.js";
import { digestsOf, type NextManifest, notices, type Proposal, rootOf } from "./proposal.js";
import { incrementalMarkers } from "./markers.js";
import type { Publishing } from "./request.js";

type Shard = Record<string, ManifestEntry>;
type LiveV2 = LiveState & { stored: { version: 2; root: ManifestRoot } };

/**
 * Only what changed: `git diff-tree` between the live commit and this one names the paths to
 * look at, the live manifest's shards that hold them are read, and only those shards are
 * rewritten. Possible when the live manifest is a version 2 root made by the same filter, this
 * clone has the live commit, and no ignore file changed (a changed ignore file can change the
 * verdict on paths that did not change). Undefined when not possible: the caller compares in full.
 */
export async function incrementalProposal(p: Publishing, live: LiveState | undefined): Promise<Proposal | undefined> {
  const { req, commit } = p;
  const { git, layout } = req;
  if (live?.stored?.version !== 2) return undefined;
  const root = live.stored.root;
  if (root.filter !== p.filter || root.commit !== live.pointer.commit || !(await git.hasCommit(root.commit))) {
    return undefined;
  }
  const wsBase = req.dir === "" ? "" : `${req.dir}/`;
  const diff = await git.diffTree(
    root.commit,
    commit.oid,
    req.dir === "" ? [] : [wsBase, ...ancestorIgnoreFiles(req.dir), ...ancestorAttributeFiles(req.dir)],
  );
  if (diff.length > MAX_INCREMENTAL_PATHS || diff.some((d) => isIgnoreSource(d.path, req.dir))) return undefined;
  if (diff.reduce((sum, d) => sum + Buffer.byteLength(d.path) + 1, 0) > MAX_ARG_BYTES) return undefined;

  const bits = bitsOf(root);
  const changed = diff.map((d) => d.path.slice(wsBase.length));
  const present = await git.listPaths(
    commit.oid,
    diff.filter((d) => d.newMode !== "000000").map((d) => d.path),
  );
  const { desired, excludedNow, submodules, unreadableLfs } = await classify(p, root, present);
  // Object-name twins (`x` a symlink, `x.rclonelink` a file) may be among the unchanged paths.
  const twins = desired
    .map((f) => objectNameTwin(f.path, f.mode, layout.style))
    .filter((t): t is string => t !== undefined);
  const shards = await readShardsOf(p, live as LiveV2, [...changed, ...twins]);
  if (shards === undefined) return undefined;
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

  const { liveSubset, excluded } = liveSide(diff, wsBase, liveEntry, root.excluded + excludedNow.length);
  const plan = planPublish(desired, liveSubset, [], new Set(), layout.style);
  const files = root.files - Object.keys(liveSubset).length + desired.length;
  if (files === 0) throw usageError(messages.emptyPublishSet(req.dir, commit.oid, excluded));
  const counts = { files, excluded };
  return {
    plan,
    // Only live entries are compared here: every delete is a live file's (markers go in `markers`).
    guard: { deletes: plan.delete.length, live: root.files },
    digests: digestsOf(Object.values(liveSubset)),
    files,
    excluded,
    submodules,
    incremental: true,
    // The live files this publish keeps passed the same rules (a change of rules is a full comparison).
    rescan: false,
    notices: notices(submodules, excludedNow, unreadableLfs),
    markers: incrementalMarkers(layout.style, plan),
    // The unread shards are kept by name; the rewritten ones are new.
    present: new Set(root.shards),
    manifest: async (written) => {
      const next = fileRecord();
      for (const a of [...plan.put, ...plan.copy]) next[a.file.path] = written(a.file);
      for (const k of plan.keep) next[k.file.path] = k.entry;
      if (fits(files, bits)) return rewriteShards(p, live as LiveV2, shards, changed, next, counts);
      return relayout(p, live as LiveV2, changed, next, counts);
    },
  };
}

/** The filter's verdict on the changed paths that exist in the new commit. */
async function classify(p: Publishing, root: ManifestRoot, present: readonly TreeEntry[]) {
  const desired: PublishFile[] = [];
  const excludedNow: ExcludedFile[] = [];
  const submodules: string[] = [];
  // No changed path in the workspace (a monorepo commit elsewhere): no need to read the ignore files.
  if (present.length === 0) return { desired, excludedNow, submodules, unreadableLfs: [] };
  const { req } = p;
  const rules = await buildFilter(req.git, req.dir, root.ignore, req.excludes);
  for (const e of present) {
    const verdict = await rules.classify(e);
    if (verdict.kind === "file") desired.push(verdict.file);
    else if (verdict.kind === "excluded") excludedNow.push(verdict.excluded);
    else if (verdict.kind === "submodule") submodules.push(verdict.path);
  }
  // No .gitattributes changed (that compares in full): the live root's are this commit's.
  const lfs = await withLfsContent(req.git, req.dir, root.attributes ?? [], desired, req.lfs ?? "content");
  return { desired: lfs.files, excludedNow, submodules, unreadableLfs: lfs.unreadable };
}

/** The live manifest's shards holding `paths`, by index; undefined when one is gone (or, with --force, corrupt). */
async function readShardsOf(
  p: Publishing,
  live: LiveV2,
  paths: readonly string[],
): Promise<Map<number, Shard> | undefined> {
  const { req } = p;
  const { root } = live.stored;
  const bits = bitsOf(root);
  const indexes = [...new Set(paths.map((path) => shardIndex(path, bits)))];
  const shards = new Map<number, Shard>();
  let lost = false;
  try {
    await runBounded(indexes, req.concurrency, async (i) => {
      const shard = await readShard(req.store, req.layout, live, root.shards[i]!);
      if (shard === undefined) lost = true;
      else shards.set(i, shard);
    });
  } catch (e) {
    // A corrupt shard: --force compares in full, which replaces it.
    if (req.force && e instanceof UnreadableLiveError) return undefined;
    throw e;
  }
  return lost ? undefined : shards;
}

/** The live entries of the changed paths, and the excluded count once paths that were filtered out are gone. */
function liveSide(
  diff: readonly DiffEntry[],
  wsBase: string,
  liveEntry: (path: string) => ManifestEntry | undefined,
  excluded: number,
) {
  const liveSubset = fileRecord();
  for (const d of diff) {
    const path = d.path.slice(wsBase.length);
    const entry = liveEntry(path);
    if (entry) liveSubset[path] = entry;
    else if (d.oldMode !== "000000" && d.oldMode !== "160000") excluded--; // it was there, and filtered out
  }
  return { liveSubset, excluded };
}

/** The shards holding changed paths, rewritten; every other shard kept by name. */
function rewriteShards(
  p: Publishing,
  live: LiveV2,
  shards: ReadonlyMap<number, Shard>,
  changed: readonly string[],
  next: Shard,
  counts: { files: number; excluded: number },
): NextManifest {
  const { root } = live.stored;
  const bits = bitsOf(root);
  const digests = [...root.shards];
  const texts: ShardTexts = new Map();
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
  return { root: rootOf(p, { ...counts, bytes }, root.ignore, digests, root.attributes), texts };
}

/** Grown or shrunk past the shard layout's bounds: the whole list laid out again. */
async function relayout(
  p: Publishing,
  live: LiveV2,
  changed: readonly string[],
  next: Shard,
  counts: { files: number; excluded: number },
): Promise<NextManifest> {
  const { req } = p;
  const all = await readLiveFiles(req.store, req.layout, live, req.concurrency);
  // A shard gone since it was planned: stop before any manifest is written; the journal makes the
  // next run compare in full.
  if (all === undefined) throw storeError(messages.shardDisappeared(live.pointer.manifest));
  for (const path of changed) delete all[path];
  Object.assign(all, next);
  const { digests, texts, bytes } = buildShards(Object.entries(all), ENTRY_PAIRS, chooseBits(counts.files));
  return {
    root: rootOf(p, { ...counts, bytes }, live.stored.root.ignore, digests, live.stored.root.attributes),
    texts,
  };
}
