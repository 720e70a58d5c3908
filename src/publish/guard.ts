import { refusedError } from "../errors.js";
import type { CommitInfo } from "../git/parse.js";
import type { LiveState } from "../manifest/live.js";
import { samePreview } from "../manifest/pointer.js";
import type { ManifestRoot } from "../manifest/sharded.js";
import { messages } from "../messages.js";
import type { Publishing, PublishRequest } from "./request.js";

/** The ordering guard: the live commit must be an ancestor of the new one, unless forced or replaceable. */
export async function guard(req: PublishRequest, live: LiveState | undefined, commit: CommitInfo): Promise<void> {
  checkPreview(req, live);
  const next = commit.oid;
  if (!live || live.pointer.commit === next || req.force) return;
  const current = live.pointer.commit;
  const known = await req.git.hasCommit(current);
  // The usual move (a commit on top of the live one) needs no history walk.
  const parent = commit.parents?.includes(current) ?? false;
  if (known && (parent || (await req.git.isAncestor(current, next)))) return;
  if (await req.replaceable?.(current)) return;
  if (!known) throw refusedError(messages.liveCommitMissing(current));
  if (await req.git.isAncestor(next, current)) throw refusedError(messages.olderThanLive(next, current));
  throw refusedError(messages.notAncestor(current, next));
}

/**
 * A preview publishes only into its own preview (never into the workspace it previews, nor into
 * the preview of another branch whose name gives the same slug), and a publish that is not a
 * preview never into a preview. Not even with --force: `wspub delete` it first.
 */
function checkPreview(req: PublishRequest, live: LiveState | undefined): void {
  if (!live) return;
  const was = live.pointer.preview ?? null;
  const now = req.preview ?? null;
  if (samePreview(was, now)) return;
  throw refusedError(messages.previewOwner(req.layout.workspace, was, now));
}

/**
 * Whether the commit is live with a version 2 manifest made by the same filter: then its publish
 * set is the live one, and (unless a publish was interrupted) there is nothing to do.
 */
export function isLive(
  live: LiveState | undefined,
  p: Publishing,
): live is LiveState & { stored: { version: 2; root: ManifestRoot } } {
  const commit = p.commit.oid;
  return (
    live?.pointer.commit === commit &&
    live.stored?.version === 2 &&
    live.stored.root.commit === commit &&
    live.stored.root.filter === p.filter
  );
}
