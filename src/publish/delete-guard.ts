import { refusedError } from "../errors.js";
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
export async function checkDeletes(p: Publishing, proposal: Pick<Proposal, "guard">): Promise<void> {
  const { req } = p;
  let { deletes, live: liveFiles } = proposal.guard;
  if (req.force || deletes === 0) return;
  const limit = req.maxDelete;
  const refused = () => (limit !== undefined ? deletes > limit : deletes > MAX_DELETE_FLOOR && deletes * 2 > liveFiles);
  if (!refused()) return;
  // An atomic workspace's slot holds the commit before last: what readers lose is what the live
  // commit has and this one does not (git knows it, when the clone has the live commit).
  const against = req.guardAgainst;
  if (against && (await req.git.hasCommit(against.commit))) {
    const wsBase = req.dir === "" ? "" : `${req.dir}/`;
    const diff = await req.git.diffTree(against.commit, p.commit.oid, req.dir === "" ? [] : [wsBase]);
    deletes = diff.filter((d) => d.newMode === "000000" && d.oldMode !== "160000").length;
    liveFiles = against.files;
    if (!refused()) return;
  }
  throw refusedError(messages.tooManyDeletes(req.layout.workspace, deletes, liveFiles, limit));
}
