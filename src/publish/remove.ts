import type { Reporter } from "../events.js";
import { LOCK_WAIT_MS } from "../limits.js";
import type { Journal } from "../manifest/journal.js";
import { type PreviewOf, samePreview } from "../manifest/pointer.js";
import { readPointerState } from "../manifest/live.js";
import { Lease } from "../lock/lease.js";
import type { Layout } from "../store/layout.js";
import { existingKeys, listKeys } from "../store/keys.js";
import type { ObjectStore } from "../store/port.js";

/** What removing a workspace did (or, with dryRun, would do). */
export interface Removed {
  workspace: string;
  /** Whether anything of it was there. */
  existed: boolean;
  /** Objects the mount shows: files (and an atomic workspace's link and slots). */
  objects: number;
  /** wspub's own records of it: manifests, shards, its pointer. */
  records: number;
}

/**
 * Removes one published workspace: its files, an atomic workspace's link and slots, and all its
 * records, under its lock, and nothing of another workspace (every listing is of the workspace's
 * own prefixes, which end in `/`: `app/` is not `apple/` nor `app--preview/`). The lock is taken
 * with a journal that says everything may have changed, and the pointer first says that nothing is
 * live: a removal cut short leaves what the next publish treats as a first publish over leftovers
 * (or the next removal finishes). The link goes first (an atomic workspace disappears at once for
 * readers), the pointer last.
 */
export async function removeWorkspace(o: {
  store: ObjectStore;
  layout: Layout;
  holder: string;
  reporter: Reporter;
  env: NodeJS.ProcessEnv;
  dryRun?: boolean | undefined;
  lockWaitMs?: number | undefined;
  /** Remove it only if it is this preview (a branch's preview by name: another branch's may have the same slug). */
  preview?: PreviewOf | undefined;
}): Promise<Removed> {
  const { store, layout } = o;
  const none: Removed = { workspace: layout.workspace, existed: false, objects: 0, records: 0 };
  const state = await readPointerState(store, layout);
  // No pointer: wspub published nothing here (objects under `<name>/` are someone else's): untouched.
  if (!state.seen || !isOwn(state.seen.pointer.preview, o.preview)) return none;
  if (o.dryRun) return { ...(await inventory(store, layout)).counts, existed: true };
  const journal: Journal = {
    commit: "",
    startedAt: new Date().toISOString(),
    holder: o.holder,
    writes: "all",
    deletes: "all",
  };
  const options = { store, layout, holder: o.holder, reporter: o.reporter, env: o.env, lock: true };
  const { lease } = await Lease.acquire({ ...options, waitMs: o.lockWaitMs ?? LOCK_WAIT_MS }, state.seen, journal);
  try {
    // Under the lock, what is there now (a publish that held the lock before may have written more).
    if (!isOwn(lease.seen.pointer.preview, o.preview)) {
      await lease.release();
      return none;
    }
    const { counts, batches } = await inventory(store, layout);
    // Nothing is live from here on: a removal cut short leaves a first publish to make, not a manifest
    // that names files that are gone.
    await lease.unpublish();
    for (const batch of batches) {
      lease.assertHeld();
      await store.deleteMany(batch);
    }
    // The pointer goes last, with the lock in it.
    lease.assertHeld();
    lease.stopRenewals();
    await store.deleteMany([layout.pointerKey]);
    return { ...counts, existed: true };
  } catch (e) {
    await lease.release(true);
    throw e;
  }
}

/** Whether a workspace's pointer says it is the preview `wanted` (any workspace when none is wanted). */
const isOwn = (was: PreviewOf | null | undefined, wanted: PreviewOf | undefined) =>
  wanted === undefined || samePreview(was, wanted);

/** What a removal deletes, in its order: the link, the files (in place and in the slots), the records. */
async function inventory(store: ObjectStore, layout: Layout) {
  const [slotFiles] = layout.slotPrefixes;
  const links = await existingKeys(store, layout.linkKeys);
  const files = [...(await listKeys(store, layout.filesPrefix)), ...(await listKeys(store, slotFiles))];
  const records = (await listKeys(store, layout.metaPrefix)).filter((k) => k !== layout.pointerKey);
  const counts = { workspace: layout.workspace, objects: links.length + files.length, records: records.length + 1 };
  return { counts, batches: [links, files, records] };
}
