import { usageError } from "../errors.js";
import { filterDigest } from "../filter/publish-set.js";
import { messages } from "../messages.js";
import { journalOf } from "../manifest/journal.js";
import { carriedLive, type LiveState, readPointerState, styleOf } from "../manifest/live.js";
import { otherSlot, type Slot } from "../store/layout.js";
import { inPlaceObjects, readLink, writeLink } from "./link.js";
import { writeMarkerKeys } from "./markers.js";
import { crashPoint } from "./crash.js";
import { guard, isLive } from "./guard.js";
import { publish } from "./publish.js";
import { moved, takeLock } from "./publish-lock.js";
import type { LiveFields, Publishing, PublishRequest, PublishResult } from "./request.js";
import { noopResult } from "./result.js";
import { readState } from "./state.js";

/**
 * Publishes one commit of an atomic workspace (--atomic). The workspace path a mount shows is a
 * link (`<name>.rclonelink`) to one of two slots, each published as a workspace of its own; the
 * publish writes the slot the link does not name (it holds the commit before last, so the diff
 * applied is two commits' changes), lets the mounts re-read it, then flips the link with one PUT
 * and moves the workspace's pointer. A reader that resolved the link keeps a whole tree until the
 * publish after the next one starts writing it.
 *
 * Under the workspace's lock, always: the slot the link names is live, whatever the pointer says
 * (a publish that died between the link's PUT and the pointer's swap left it so), and is never
 * written. Objects of the in-place layout (`<name>/`, a workspace switched into atomic mode, or an
 * in-place publish that died) are deleted once the link is live.
 */
export async function publishAtomic(req: PublishRequest): Promise<PublishResult> {
  const started = Date.now();
  // One round trip reads the pointer, the link and both slots' pointers.
  const reading = readState(req);
  const linking = readLink(req.store, req.layout);
  const slotReads = {
    a: readState({ ...req, layout: req.layout.slot("a") }),
    b: readState({ ...req, layout: req.layout.slot("b") }),
  };
  for (const r of [reading, linking, slotReads.a, slotReads.b]) r.catch(() => undefined);
  const commit = await req.git.resolveCommit(req.ref);
  const first = await reading;
  const p: Publishing = { req, commit, filter: filterDigest(req.dir, req.excludes, req.layout.style, req.lfs) };
  const interrupted = first.seen?.pointer.journal ?? undefined;
  await guard(req, first.live, commit);
  refuseLayoutChange(req, first.live);
  const linked = await linking;
  const settled = linked !== undefined && linked === first.seen?.pointer.slot;
  if (!req.force && settled && isLive(first.live, p) && !interrupted) return noopResult(p, started, first.live);

  // Lock-free, a dry run plans against the slot that would be written.
  // The slot is published under the workspace's guard (passed above): its own is off. --force
  // rewrites a slot in full only to republish the live commit; a rollback to the commit before
  // last finds it in the idle slot already and costs the flip alone.
  const force = req.force && first.live?.pointer.commit === commit.oid;
  // The delete guard: lifted by --force (which the slot's publish does not get), and measured
  // against the live commit, not the slot's.
  const live = first.live?.pointer;
  const guarding = {
    maxDelete: req.force ? Number.POSITIVE_INFINITY : req.maxDelete,
    guardAgainst: live?.commit ? { commit: live.commit, files: live.files } : undefined,
  };
  const inner = { ...req, ...guarding, force, atomic: false, replaceable: async () => true };
  if (req.dryRun) {
    const slot = idleSlot(linked, first.seen?.pointer.slot);
    return {
      ...(await publish({ ...inner, layout: req.layout.slot(slot), slotState: slotReads[slot] })),
      previous: first.live?.pointer.commit ?? null,
    };
  }

  const journal = journalOf(commit.oid, req.actor, [], []);
  const verified = first.seen?.pointer.conditionalWrites ?? undefined;
  const { lease, interrupted: found } = await takeLock(req, first.seen, journal, verified);
  let flipped = false;
  try {
    // Under the lock, the link and the pointer as they are now.
    let live = first.live;
    let link = linked;
    const changed = moved(first.seen, lease.seen.pointer, interrupted, found);
    if (changed) {
      const carried = carriedLive(lease.seen);
      live = carried === "read" ? (await readPointerState(req.store, req.layout)).live : carried;
      if (live?.pointer.commit !== first.live?.pointer.commit) await guard(req, live, commit);
      refuseLayoutChange(req, live);
      link = await readLink(req.store, req.layout);
      // Another publisher made this commit live meanwhile (a hook and CI on the same commit).
      if (!found && !req.force && link !== undefined && link === lease.seen.pointer.slot && isLive(live, p)) {
        await lease.release();
        return noopResult(p, started, live);
      }
    }
    const slot = idleSlot(link, lease.seen.pointer.slot);
    const slotLayout = req.layout.slot(slot);
    // Objects left in place (a workspace coming into atomic mode, or a publish that died), listed meanwhile.
    const inPlace = link === undefined || found !== undefined || (lease.seen.pointer.slot ?? null) === null;
    const listing = inPlace ? inPlaceObjects(req.store, req.layout) : Promise.resolve([]);
    listing.catch(() => undefined);

    // 1. The idle slot, published as a workspace of its own (its own lock, journal and manifest);
    //    its pointer as read before the lock, unless something moved meanwhile.
    let slotLive: LiveFields | undefined;
    const slotState = changed ? undefined : slotReads[slot];
    const written = await publish({ ...inner, layout: slotLayout, slotState, onLive: (f) => (slotLive = f) });
    if (!slotLive) throw new Error(`the slot ${slot} did not take the publish`);

    // 2. The mounts re-read the slot before any reader is sent to it (s3fs: the directories above
    //    the slots get their markers, so that another user can follow the link; once, as the
    //    workspace comes into atomic mode or after a publish that died: verify --repair restores them).
    const s3fs = req.layout.style === "s3fs";
    const hold = () => lease.assertHeld();
    const markers = { store: req.store, concurrency: req.concurrency, hold };
    await Promise.all([
      req.beforeFlip?.(slotLayout),
      s3fs && inPlace ? writeMarkerKeys(markers, req.layout.slotMarkerKeys, commit.committerTime) : undefined,
    ]);
    const leftovers = await listing;
    const { manifest, publishedAt, files, bytes, root } = slotLive;
    const previous = live?.pointer.commit ?? null;
    const fields = { commit: commit.oid, manifest, previous, publishedAt, publishedBy: req.actor, files, bytes, root };
    const removeLeftovers = () => req.store.deleteMany(leftovers.map((name) => req.layout.objectKey(name)));

    // 3. The flip. rclone's layout: the link, then the pointer (the link is what readers follow,
    //    and what the next publish trusts), then the in-place leftovers. The s3fs layout's link is
    //    an object at `<name>`, which a store refuses beside objects under `<name>/`: when objects
    //    are left in place, the pointer, the leftovers, then the link (a publish that dies before it
    //    leaves the link on the old, whole tree, and the next one moves it); otherwise as rclone's.
    //    Either way the link is written under the lock (with leftovers, finish keeps it).
    const late = s3fs && leftovers.length > 0;
    const flip = async () => {
      hold();
      await writeLink(req.store, req.layout, slot, commit.committerTime);
    };
    crashPoint(req.env, "before-link");
    flipped = true;
    if (!late) await flip();
    crashPoint(req.env, "after-link");
    await lease.finish({ ...fields, slot, preview: req.preview ?? null }, leftovers);
    crashPoint(req.env, "after-pointer");
    if (leftovers.length > 0) await removeLeftovers();
    if (late) await flip();
    await lease.release();
    return { ...written, workspace: req.layout.workspace, previous, noop: false };
  } finally {
    // Before the flip nothing readers see was written (the slot keeps its own journal); after it,
    // the journal stays so that the next publish finishes the job.
    await lease.release(flipped || found !== undefined);
  }
}

/** An atomic workspace changes layout in place first (its slots and link are of one layout). */
function refuseLayoutChange(req: PublishRequest, live: LiveState | undefined): void {
  const liveStyle = styleOf(live);
  if (live?.pointer.slot && liveStyle !== undefined && liveStyle !== req.layout.style) {
    throw usageError(messages.atomicLayoutChange(req.layout.workspace, liveStyle, req.layout.style));
  }
}

/** The slot a publish writes: not the one the link names, else not the one the pointer names, else a. */
function idleSlot(linked: Slot | undefined, pointed: Slot | null | undefined): Slot {
  const live = linked ?? pointed ?? undefined;
  return live === undefined ? "a" : otherSlot(live);
}
