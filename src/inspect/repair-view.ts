import { messages } from "../messages.js";
import { refusedError } from "../errors.js";
import type { Reporter } from "../events.js";
import { LOCK_WAIT_MS } from "../limits.js";
import { Lease } from "../lock/lease.js";
import { journalOf } from "../manifest/journal.js";
import { readPointerState } from "../manifest/live.js";
import { readLink, writeLink } from "../publish/link.js";
import { writeMarkerKeys } from "../publish/markers.js";
import { Layout } from "../store/layout.js";
import type { ObjectStore } from "../store/port.js";
import type { AtomicDrift } from "./verify.js";

/**
 * `verify --repair` of an atomic workspace's view, under the workspace's lock, once its live slot
 * is repaired: a missing link is written (naming the live slot), the markers above the slots
 * (s3fs layout) are written, and what is left in place is deleted. A link that names the other
 * slot is left alone: a publish that died after flipping it wrote that slot whole, and the next
 * `wspub push` finishes its job. Returns how many objects were deleted.
 */
export async function repairAtomicView(
  o: { store: ObjectStore; reporter: Reporter; env: NodeJS.ProcessEnv; holder: string; concurrency: number },
  workspace: Layout,
  drift: AtomicDrift,
): Promise<number> {
  const layout = new Layout(workspace.target, workspace.workspace, drift.style);
  const { store, reporter, env, holder } = o;
  const state = await readPointerState(store, layout);
  const journal = journalOf(state.live?.pointer.commit ?? "", holder, [], drift.inPlace);
  const options = { store, layout, holder, reporter, env, waitMs: LOCK_WAIT_MS, lock: true };
  const { lease, interrupted } = await Lease.acquire(options, state.seen, journal);
  try {
    const hold = () => lease.assertHeld();
    if (lease.seen.pointer.slot !== drift.slot) {
      throw refusedError(messages.changedWhileVerifying("slot"));
    }
    const link = await readLink(store, layout);
    if (link !== undefined && link !== drift.slot) {
      throw refusedError(
        `the link names slot ${link}, which a publish that died wrote whole; run wspub push to finish its job`,
      );
    }
    const mtime = Math.floor(Date.now() / 1000);
    hold();
    if (link === undefined) await writeLink(store, layout, drift.slot, mtime);
    await writeMarkerKeys({ store, concurrency: o.concurrency, hold }, drift.markers, mtime);
    hold();
    await store.deleteMany(drift.inPlace.map((name) => layout.objectKey(name)));
    return drift.inPlace.length;
  } finally {
    await lease.release(interrupted !== undefined);
  }
}
