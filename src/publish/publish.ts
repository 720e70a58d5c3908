import type { Reporter } from "../events.js";
import { filterDigest } from "../filter/publish-set.js";
import { LOCK_WAIT_MS } from "../limits.js";
import { readJournal, removeJournal } from "../manifest/journal.js";
import { checkConditionalWrites } from "../lock/conditional-writes.js";
import { Lease } from "../lock/lease.js";
import { crashPoint } from "./crash.js";
import { guard, isLive } from "./guard.js";
import { reportPlan } from "./proposal.js";
import { propose } from "./propose.js";
import type { Publishing, PublishRequest, PublishResult } from "./request.js";
import { noopResult, resultOf } from "./result.js";
import { LiveStateReader } from "./state.js";
import { applyWrites, deleteObjects, movePointer, recordJournal, writeManifest } from "./writes.js";

/**
 * Publishes one commit of one workspace. The order of the writes is what keeps the live state
 * whole: the journal, new objects, the immutable manifest (shards, then root), the pointer, then
 * the deletes. The pointer never names objects that are not there, nothing the live manifest
 * names is deleted before the pointer moves, and a publish killed anywhere is finished by the next
 * one (the journal). Crash points (WSPUB_CRASH_AT) mark each step for the crash tests.
 */
export async function publish(req: PublishRequest): Promise<PublishResult> {
  const started = Date.now();
  const { store, layout } = req;
  const state = new LiveStateReader(req);

  // 1. Resolve the ref while the live state is read. A bad ref is the error reported, whatever
  //    the store says (its failure is then dropped here).
  const reading = state.read();
  reading.catch(() => undefined);
  const commit = await req.git.resolveCommit(req.ref);
  const first = await reading;
  const p: Publishing = { req, commit, filter: filterDigest(req.dir, req.excludes) };

  // 2. Lock-free: the ordering guard, and the no-op. Refusals and no-ops write nothing.
  //    --force republishes the live commit in full: it rewrites a manifest whose shards were lost.
  await guard(req, first, commit.oid);
  if (!req.force && isLive(first, p) && !(await readJournal(store, layout))) return noopResult(p, started, first);

  // 3. Plan before the lock, so that bad input (names, symlinks, an empty set) is refused before
  //    anything is written; the plan is reused under the lock when nothing moved meanwhile.
  const planned = await propose(p, first, undefined);
  if (req.dryRun) return resultOf(p, started, first, reportPlan(p, first, planned), null);

  const lease = await takeLock(req);
  try {
    // 4. Under the lock, the state it may have moved to while we waited.
    const { live, journal, unchanged } = await state.reread(first);
    if (live?.pointer.commit !== first?.pointer.commit) await guard(req, live, commit.oid);
    if (journal) reportInterrupted(req.reporter, journal.commit);
    else if (!req.force && isLive(live, p)) return noopResult(p, started, live);
    const proposal = reportPlan(p, live, unchanged && !journal ? planned : await propose(p, live, journal));
    const { plan } = proposal;
    const hold = () => lease?.assertHeld();

    // 5. The writes, in their order.
    const touches = plan.put.length + plan.copy.length + plan.delete.length > 0;
    if (touches) {
      await recordJournal(p, plan, hold);
      crashPoint(req.env, "after-journal");
    }
    await applyWrites(p, plan, proposal.digests, hold);
    crashPoint(req.env, "before-manifest");
    const manifest = await writeManifest(p, proposal, hold);
    crashPoint(req.env, "after-manifest");
    await movePointer(p, state.pointerEtag(live), manifest, live?.pointer.commit ?? null, hold);
    crashPoint(req.env, "after-pointer");
    await deleteObjects(p, plan.delete, hold);
    crashPoint(req.env, "before-journal-delete");
    if (touches || journal) await removeJournal(store, layout);
    return resultOf(p, started, live, proposal, { key: manifest.key, bytes: manifest.root.bytes });
  } finally {
    await lease?.release();
  }
}

/**
 * The workspace's lease lock (after checking once that the server honours conditional writes); none
 * with --unsafe-no-lock.
 */
async function takeLock(req: PublishRequest): Promise<Lease | undefined> {
  const { store, layout, reporter } = req;
  if (req.lock === false) {
    const message = "publishing without the lock (--unsafe-no-lock): a concurrent publish can tear the workspace";
    reporter.event({ type: "warning", message });
    return undefined;
  }
  await checkConditionalWrites(store, layout);
  const waitMs = req.lockWaitMs ?? LOCK_WAIT_MS;
  return Lease.acquire({ store, layout, holder: req.actor, reporter, env: req.env ?? {}, waitMs });
}

function reportInterrupted(reporter: Reporter, commit: string): void {
  const what = commit ? ` of ${commit.slice(0, 12)}` : "";
  reporter.event({ type: "warning", message: `an earlier publish${what} was interrupted: finishing the job` });
}
