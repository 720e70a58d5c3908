import type { Reporter } from "../events.js";
import { filterDigest } from "../filter/publish-set.js";
import { journalOf, mergeJournals } from "../manifest/journal.js";
import { carriedLive, type LiveState } from "../manifest/live.js";
import { probeConditionalWrites } from "../lock/conditional-writes.js";
import { crashPoint } from "./crash.js";
import { guard, isLive } from "./guard.js";
import { checkCredentials } from "./credential-check.js";
import { checkDeletes } from "./delete-guard.js";
import { ensureLfsContent } from "./lfs-content.js";
import { type Proposal, reportPlan } from "./proposal.js";
import { propose } from "./propose.js";
import type { Publishing, PublishRequest, PublishResult } from "./request.js";
import { cachedConditionalWrites, moved, takeLock } from "./publish-lock.js";
import { putMarkers, removeEmptied } from "./markers.js";
import { noopResult, resultOf } from "./result.js";
import { readState } from "./state.js";
import { listKeys } from "../store/keys.js";
import { deleteObjects, objectsWritten, type WrittenManifest, writeContent } from "./writes.js";

/**
 * Publishes one commit of one workspace. Every step that changes what a reader sees is a
 * compare-and-swap of the pointer (live.json): taking the lock with the journal in it, then moving
 * the live commit to a manifest whose objects are all written. The pointer never names objects
 * that are not there, nothing the live manifest names is deleted before the pointer moves, and a
 * publish killed anywhere is finished by the next one (the journal). Crash points (WSPUB_CRASH_AT)
 * mark each step for the crash tests.
 *
 * Round trips of a one-file change: read the pointer (it carries the live manifest's root), read
 * the shard of the changed path, take the lock, write the file, shard and root together, move the
 * pointer (which lets go of the lock). A republish of the live commit reads the pointer only.
 */
export async function publish(req: PublishRequest): Promise<PublishResult> {
  const started = Date.now();

  // 1. Resolve the ref while the pointer is read. A bad ref is the error reported, whatever the
  //    store says (its failure is then dropped here).
  const reading = req.slotState ?? readState(req);
  reading.catch(() => undefined);
  const commit = await req.git.resolveCommit(req.ref);
  const first = await reading;
  const p: Publishing = { req, commit, filter: filterDigest(req.dir, req.excludes, req.layout.style, req.lfs) };
  const interrupted = first.seen?.pointer.journal ?? undefined;

  // 2. Lock-free: the ordering guard, and the no-op. Refusals and no-ops write nothing.
  //    --force republishes the live commit in full: it rewrites a manifest whose shards were lost.
  await guard(req, first.live, commit);
  const current = inPlace(first.live);
  if (!req.force && isLive(current, p) && !interrupted) {
    req.onLive?.(current.pointer);
    return noopResult(p, started, current);
  }

  // 3. Plan before the lock, so that bad input (names, symlinks, an empty set) is refused before
  //    anything is written; the plan goes into the lock as its journal, and stands when nothing
  //    moved meanwhile. The verdict on the server's conditional writes is read meanwhile.
  const cached = req.dryRun || req.lock === false ? undefined : cachedConditionalWrites(req, first.seen);
  cached?.catch(() => undefined);
  const planned = await propose(p, inPlace(first.live), interrupted);
  // A dry run shows its plan even when the plan is then refused.
  if (req.dryRun) reportPlan(p, first.live, planned);
  const clean = new Set<string>();
  await admit(p, planned, clean);
  if (req.dryRun) return resultOf(p, started, first.live, planned, null);

  const journal = journalOf(commit.oid, req.actor, objectsWritten(planned), planned.plan.delete);
  const verified = cached && ((await cached) ?? (await probeConditionalWrites(req.store, req.layout)));
  const { lease, interrupted: found } = await takeLock(req, first.seen, journal, verified);
  let writing = false;
  try {
    // 4. Under the lock: if the pointer moved while we waited (another publish, or one that died),
    //    the state is read again and the plan made again.
    let live = first.live;
    let proposal = planned;
    if (moved(first.seen, lease.seen.pointer, interrupted, found)) {
      // The pointer as the lock was taken on it (read again only for an older wspub's manifest).
      const carried = carriedLive(lease.seen);
      live = carried === "read" ? (await readState(req)).live : carried;
      if (live?.pointer.commit !== first.live?.pointer.commit) await guard(req, live, commit);
      const now = inPlace(live);
      if (!found && !req.force && isLive(now, p)) {
        await lease.release();
        req.onLive?.(now.pointer);
        return noopResult(p, started, now);
      }
      proposal = await propose(p, inPlace(live), found);
      await admit(p, proposal, clean);
      const mine = journalOf(commit.oid, req.actor, objectsWritten(proposal), proposal.plan.delete);
      await lease.setJournal(found ? mergeJournals(found, mine) : mine);
    }
    if (found) reportInterrupted(req.reporter, found.commit);
    reportPlan(p, live, proposal);
    const hold = () => lease.assertHeld();

    // 5. The writes, in their order.
    writing = true;
    crashPoint(req.env, "after-journal");
    // Out of atomic mode (or after a publish that died, which may have been going into it): the link
    // (of either layout) goes once the files are in place, before the pointer says so; in the s3fs
    // layout before them, since a store refuses objects under `<name>/` beside an object `<name>`.
    // The slots go too, under the lock. (Not from a slot's own publish: its workspace is atomic.)
    const slotOfAtomic = req.layout.slotName !== undefined;
    const leaving = !slotOfAtomic && ((live?.pointer.slot ?? null) !== null || found !== undefined);
    const s3fs = req.layout.style === "s3fs";
    if (leaving && s3fs) await req.store.deleteMany(req.layout.linkKeys);
    // The markers before the files below them (see writeMarkerKeys).
    await putMarkers(p, proposal.markers.put, hold);
    const manifest = await writeContent(p, proposal, hold);
    if (leaving && !s3fs) await req.store.deleteMany(req.layout.linkKeys);
    if (leaving) await removeSlots(req, hold);
    const fields = pointerFields(p, manifest, live);
    // The journal of the deletes also names the markers that may go (a full comparison after a
    // crash then removes them unless they are still wanted).
    await lease.finish(fields, [...proposal.plan.delete, ...proposal.markers.check]);
    req.onLive?.(fields);
    crashPoint(req.env, "after-pointer");
    await deleteObjects(p, proposal.plan.delete, hold);
    await removeEmptied(p, proposal.markers.check, hold);
    crashPoint(req.env, "before-journal-delete");
    await lease.release();
    if (first.legacy) await removeLegacyRecords(req);
    return resultOf(p, started, live, proposal, { key: manifest.key, bytes: manifest.root.bytes });
  } finally {
    // After a failure: the journal stays if anything may have been written (the next publish
    // finishes the job), and so does the one of a publish that died before this one.
    await lease.release(writing || found !== undefined);
  }
}

/**
 * What a plan passes before anything is written: the delete guard, the Git LFS content it uploads,
 * then the credential scan of what it writes (which reads that content).
 */
async function admit(p: Publishing, proposal: Proposal, clean: Set<string>): Promise<void> {
  await checkDeletes(p, proposal);
  await ensureLfsContent(p, proposal);
  await checkCredentials(p, proposal, clean);
}

/** What the pointer says once the publish is live. */
function pointerFields(p: Publishing, manifest: WrittenManifest, live: LiveState | undefined) {
  return {
    commit: p.commit.oid,
    manifest: manifest.key,
    previous: live?.pointer.commit ?? null,
    publishedAt: new Date().toISOString(),
    publishedBy: p.req.actor,
    files: manifest.root.files,
    bytes: manifest.root.bytes,
    root: manifest.root,
    slot: null,
    preview: p.req.preview ?? null,
  };
}

/** The live state as the in-place layout sees it: nothing, when the workspace is atomic (its files are in a slot). */
const inPlace = (live: LiveState | undefined) => ((live?.pointer.slot ?? null) === null ? live : undefined);

/** The slots of a workspace that left atomic mode: its files and records (a failure is a warning). */
async function removeSlots(req: PublishRequest, hold: () => void): Promise<void> {
  // The slots' pointers first, then their records, then their files: a removal cut short leaves
  // slots that say nothing is published in them (the next publish into one compares in full).
  const [files, records] = req.layout.slotPrefixes;
  try {
    hold();
    await req.store.deleteMany((["a", "b"] as const).map((s) => req.layout.slot(s).pointerKey));
    for (const prefix of [records, files]) {
      const keys = await listKeys(req.store, prefix);
      hold();
      await req.store.deleteMany(keys);
    }
  } catch (e) {
    const message = `the slots of the atomic layout could not all be removed (${(e as Error).message})`;
    req.reporter.event({ type: "warning", message });
  }
}

/** The lock.json and journal.json of an older wspub, once this version's pointer has replaced its pointer. */
async function removeLegacyRecords(req: PublishRequest): Promise<void> {
  // The publish is live and the pointer holds what they said: their removal may fail (a warning).
  await req.store.deleteMany([req.layout.lockKey, req.layout.journalKey]).catch((e: unknown) => {
    const { lockKey, journalKey } = req.layout;
    const message = `the older wspub's ${lockKey} and ${journalKey} could not be removed: ${(e as Error).message}`;
    req.reporter.event({ type: "warning", message });
  });
}

function reportInterrupted(reporter: Reporter, commit: string): void {
  const what = commit ? ` of ${commit.slice(0, 12)}` : "";
  reporter.event({ type: "warning", message: `an earlier publish${what} was interrupted: finishing the job` });
}
