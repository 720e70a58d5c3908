import type { GitReader } from "../git/port.js";
import type { PublishFile } from "../filter/publish-set.js";
import type { Layout } from "../store/layout.js";
import type { ObjectStore } from "../store/port.js";
import { gitInputError, refusedError } from "../errors.js";
import { messages } from "../messages.js";
import { entryOf } from "../manifest/entry.js";
import { digestStream, readSmallBlob, writeOptions } from "../publish/content.js";
import { LOCK_WAIT_MS, STREAM_THRESHOLD } from "../limits.js";
import { journalOf } from "../manifest/journal.js";
import { type LiveState, readLiveFiles, readPointerState } from "../manifest/live.js";
import { Lease } from "../lock/lease.js";
import type { Reporter } from "../events.js";
import { runBounded } from "../queue.js";
import { writeMarkerKeys } from "../publish/markers.js";
import { fetchLfsContent } from "../publish/lfs-content.js";
import { lfsOidOf } from "../git/lfs-pointer.js";
import type { VerifyResult } from "./verify.js";

const committedAt = (live: LiveState) =>
  live.stored?.version === 2 ? live.stored.root.committedAt : Math.floor(Date.now() / 1000);

export interface RepairResult {
  rewritten: number;
  deleted: number;
}

/**
 * `wspub verify --repair`: puts back what verify found missing or changed, from the blobs the
 * live manifest names (read from git, so the clone must have them), and deletes unexpected
 * objects under the workspace prefix. Only the drifted objects are written, under the lock.
 */
export async function repair(
  o: {
    git: GitReader;
    /** The workspace's directory in the repository (Git LFS content is fetched by path). */
    dir: string;
    store: ObjectStore;
    layout: Layout;
    reporter: Reporter;
    env: NodeJS.ProcessEnv;
    concurrency: number;
    holder: string;
  },
  drift: VerifyResult,
): Promise<RepairResult> {
  const state = await readPointerState(o.store, o.layout);
  const changed = () => refusedError(messages.changedWhileVerifying("commit"));
  const live = state.live;
  if (live?.pointer.commit !== drift.commit) throw changed();
  const objects = [...drift.missing, ...drift.changed].map((d) => d.object);
  const { store, layout, reporter, env, holder } = o;
  const options = { store, layout, holder, reporter, env, waitMs: LOCK_WAIT_MS, lock: true };
  const { lease, interrupted } = await Lease.acquire(
    options,
    state.seen,
    journalOf(drift.commit, holder, objects, drift.unexpected),
  );
  let dirty = false;
  try {
    const held = lease.seen.pointer;
    if (held.commit !== drift.commit || held.manifest !== live.pointer.manifest) throw changed();
    const files = await readLiveFiles(o.store, o.layout, live, o.concurrency);
    if (!files) throw gitInputError(messages.manifestLost(drift.commit));
    const broken = [...drift.missing, ...drift.changed].filter((d) => entryOf(files, d.path) !== undefined);
    const lfs = broken.flatMap((d) => {
      const { blob, mode, size } = files[d.path]!;
      return lfsOidOf(blob) === undefined ? [] : [{ path: d.path, oid: blob, mode, size }];
    });
    if (lfs.length > 0 && (await o.git.lfs.missing(lfs.map((f) => ({ oid: lfsOidOf(f.oid)!, size: f.size })))).length) {
      if (!(await o.git.hasCommit(drift.commit))) {
        throw gitInputError(
          `cannot repair ${lfs[0]!.path}: the live commit ${drift.commit.slice(0, 12)} is not in this clone (fetch ` +
            "it first)",
        );
      }
      await fetchLfsContent(o.git, drift.commit, o.dir, lfs, o.reporter);
    }
    for (const d of broken) {
      const blob = files[d.path]!.blob;
      if (lfsOidOf(blob) !== undefined) continue;
      if ((await o.git.readObject(`${blob}^{blob}`).catch(() => undefined)) === undefined) {
        throw gitInputError(
          `cannot repair ${d.path}: its blob ${blob.slice(0, 12)} is not in this clone (fetch the live commit ` +
            `${drift.commit.slice(0, 12)} first)`,
        );
      }
    }
    dirty = true;
    await runBounded(broken, o.concurrency, async (d) => {
      lease.assertHeld();
      const entry = files[d.path]!;
      const file: PublishFile = { path: d.path, mode: entry.mode, oid: entry.blob, size: entry.size };
      const options = writeOptions(file, entry.md5, entry.mtime);
      const key = o.layout.objectKey(d.object);
      if (entry.size <= STREAM_THRESHOLD) {
        await o.store.put(key, await readSmallBlob(o.git, entry.blob), options);
      } else {
        const digest = await digestStream(o.git, entry.blob);
        if (digest.sha256 !== entry.sha256) throw gitInputError(`the blob of ${d.path} does not match the manifest`);
        await o.store.putStream(key, () => o.git.streamBlob(entry.blob), options);
      }
    });
    // The s3fs layout's directory markers (they are not in the manifest: its paths give them).
    const markers = drift.missing.filter((d) => d.reason === "directory marker").map((d) => d.object);
    const { store, layout, concurrency } = o;
    const keys = markers.map((name) => layout.objectKey(name));
    await writeMarkerKeys({ store, concurrency, hold: () => lease.assertHeld() }, keys, committedAt(live));
    lease.assertHeld();
    await o.store.deleteMany(drift.unexpected.map((name) => o.layout.objectKey(name)));
    dirty = false;
    return { rewritten: broken.length + markers.length, deleted: drift.unexpected.length };
  } finally {
    // The journal stays when the repair failed part-way, or a publish had died before it.
    await lease.release(dirty || interrupted !== undefined);
  }
}
