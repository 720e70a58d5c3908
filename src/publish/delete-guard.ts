import { refusedError } from "../errors.js";
import type { LiveState } from "../manifest/live.js";
import { messages } from "../messages.js";
import type { Proposal } from "./proposal.js";
import type { Publishing } from "./request.js";

/** Without --max-delete: a publish may delete up to this many objects whatever the workspace's size. */
export const MAX_DELETE_FLOOR = 100;

/**
 * The delete guard: a publish computed from a damaged manifest, a wrong --ref, a misconfigured
 * filter or a mistaken `.wspubignore` can delete most of a live workspace in one go. Refused (exit
 * 3, before anything is written) when it would delete more than `--max-delete` objects, or, without
 * one, more than MAX_DELETE_FLOOR objects *and* more than half of the live files. --force allows it.
 */
export function checkDeletes(p: Publishing, proposal: Proposal, live: LiveState | undefined): void {
  const { req } = p;
  const deletes = proposal.plan.delete.length;
  if (req.force || deletes === 0) return;
  // The live files: the manifest's count, or (no manifest: a first publish over objects already there)
  // what the plan found under the prefix.
  const liveFiles = live?.pointer.files ?? deletes + proposal.plan.keep.length;
  const limit = req.maxDelete;
  const refused = limit !== undefined ? deletes > limit : deletes > MAX_DELETE_FLOOR && deletes * 2 > liveFiles;
  if (refused) throw refusedError(messages.tooManyDeletes(req.layout.workspace, deletes, liveFiles, limit));
}
