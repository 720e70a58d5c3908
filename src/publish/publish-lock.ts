import type { Journal } from "../manifest/journal.js";
import type { Seen } from "../manifest/pointer.js";
import { cachedVerdict } from "../lock/conditional-writes.js";
import { Lease } from "../lock/lease.js";
import { LOCK_WAIT_MS } from "../limits.js";
import type { PublishRequest } from "./request.js";

/**
 * The workspace's lease lock, taken with the journal in it (after checking once that the server
 * honours conditional writes). With --unsafe-no-lock only the journal is recorded.
 */
export function takeLock(req: PublishRequest, seen: Seen | undefined, journal: Journal, verified: string | undefined) {
  const { store, layout, reporter } = req;
  const lock = req.lock !== false;
  if (!lock) {
    const message = "publishing without the lock (--unsafe-no-lock): a concurrent publish can tear the workspace";
    reporter.event({ type: "warning", message });
  }
  const waitMs = req.lockWaitMs ?? LOCK_WAIT_MS;
  const preview = req.preview;
  const options = { store, layout, holder: req.actor, reporter, env: req.env ?? {}, waitMs, lock, verified, preview };
  return Lease.acquire(options, seen, journal);
}

/**
 * The verdict on the server's conditional writes that the pointer carries, or the one cached
 * beside it (lock/conditional-writes.ts); undefined when the server has not been probed yet.
 */
export async function cachedConditionalWrites(
  req: PublishRequest,
  seen: Seen | undefined,
): Promise<string | undefined> {
  return seen?.pointer.conditionalWrites ?? (await cachedVerdict(req.store, req.layout));
}

/**
 * Whether the pointer the lock was taken on differs, in its live commit or journal, from the one
 * planned on, or was locked then (its holder may have written more than the plan saw).
 */
export function moved(
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
