import type { Reporter } from "../events.js";
import { filterDigest } from "../filter/publish-set.js";
import { LOCK_WAIT_MS } from "../limits.js";
import { type Journal, journalOf, mergeJournals } from "../manifest/journal.js";
import { carriedLive, type LiveState } from "../manifest/live.js";
import type { Seen } from "../manifest/pointer.js";
import { cachedVerdict, probeConditionalWrites } from "../lock/conditional-writes.js";
import { Lease } from "../lock/lease.js";
import { crashPoint } from "./crash.js";
import { guard, isLive } from "./guard.js";
import { reportPlan } from "./proposal.js";
import { propose } from "./propose.js";
import type { Publishing, PublishRequest, PublishResult } from "./request.js";
import { noopResult, resultOf } from "./result.js";
import { readState } from "./state.js";
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
  const reading = readState(req);
  reading.catch(() => undefined);
  const commit = await req.git.resolveCommit(req.ref);
  const first = await reading;
  const p: Publishing = { req, commit, filter: filterDigest(req.dir, req.excludes) };
  const interrupted = first.seen?.pointer.journal ?? undefined;

  // 2. Lock-free: the ordering guard, and the no-op. Refusals and no-ops write nothing.
  //    --force republishes the live commit in full: it rewrites a manifest whose shards were lost.
  await guard(req, first.live, commit);
  if (!req.force && isLive(first.live, p) && !interrupted) return noopResult(p, started, first.live);

  // 3. Plan before the lock, so that bad input (names, symlinks, an empty set) is refused before
  //    anything is written; the plan goes into the lock as its journal, and stands when nothing
  //    moved meanwhile. The verdict on the server's conditional writes is read meanwhile.
  const cached = req.dryRun || req.lock === false ? undefined : cachedConditionalWrites(req, first.seen);
  cached?.catch(() => undefined);
  const planned = await propose(p, first.live, interrupted);
  if (req.dryRun) return resultOf(p, started, first.live, reportPlan(p, first.live, planned), null);

  const journal = journalOf(commit.oid, req.actor, objectsWritten(planned.plan), planned.plan.delete);
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
      if (!found && !req.force && isLive(live, p)) {
        await lease.release();
        return noopResult(p, started, live);
      }
      proposal = await propose(p, live, found);
      const mine = journalOf(commit.oid, req.actor, objectsWritten(proposal.plan), proposal.plan.delete);
      await lease.setJournal(found ? mergeJournals(found, mine) : mine);
    }
    if (found) reportInterrupted(req.reporter, found.commit);
    reportPlan(p, live, proposal);
    const hold = () => lease.assertHeld();

    // 5. The writes, in their order.
    writing = true;
    crashPoint(req.env, "after-journal");
    const manifest = await writeContent(p, proposal, hold);
    await lease.finish(pointerFields(p, manifest, live), proposal.plan.delete);
    crashPoint(req.env, "after-pointer");
    await deleteObjects(p, proposal.plan.delete, hold);
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
 * The workspace's lease lock, taken with the journal in it (after checking once that the server
 * honours conditional writes). With --unsafe-no-lock only the journal is recorded.
 */
function takeLock(req: PublishRequest, seen: Seen | undefined, journal: Journal, verified: string | undefined) {
  const { store, layout, reporter } = req;
  const lock = req.lock !== false;
  if (!lock) {
    const message = "publishing without the lock (--unsafe-no-lock): a concurrent publish can tear the workspace";
    reporter.event({ type: "warning", message });
  }
  const waitMs = req.lockWaitMs ?? LOCK_WAIT_MS;
  const options = { store, layout, holder: req.actor, reporter, env: req.env ?? {}, waitMs, lock, verified };
  return Lease.acquire(options, seen, journal);
}

/**
 * The verdict on the server's conditional writes that the pointer carries, or the one cached
 * beside it (lock/conditional-writes.ts); undefined when the server has not been probed yet.
 */
async function cachedConditionalWrites(req: PublishRequest, seen: Seen | undefined): Promise<string | undefined> {
  return seen?.pointer.conditionalWrites ?? (await cachedVerdict(req.store, req.layout));
}

/**
 * Whether the pointer the lock was taken on differs, in its live commit or journal, from the one
 * planned on, or was locked then (its holder may have written more than the plan saw).
 */
function moved(
  seen: Seen | undefined,
  locked: { commit: string | null; manifest: string | null },
  planned: Journal | undefined,
  found: Journal | undefined,
): boolean {
  const before = seen?.pointer;
  return (
    (before?.lock ?? null) !== null ||
    (before?.commit ?? null) !== locked.commit ||
    (before?.manifest ?? null) !== locked.manifest ||
    JSON.stringify(planned ?? null) !== JSON.stringify(found ?? null)
  );
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
  };
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
