import type { Journal } from "../manifest/journal.js";
import type { LiveState } from "../manifest/live.js";
import { fullProposal } from "./full.js";
import { incrementalProposal } from "./incremental.js";
import type { Proposal } from "./proposal.js";
import type { Publishing } from "./request.js";

/**
 * What the publish will do: incrementally when it can (see incremental.ts), else by comparing
 * the whole tree. After an interrupted publish (a journal) the comparison is always in full, and
 * so is a forced republish of the live commit (it is how a lost shard is written again).
 */
export async function propose(
  p: Publishing,
  live: LiveState | undefined,
  journal: Journal | undefined,
): Promise<Proposal> {
  const incremental = journal === undefined && !(p.req.force && live?.pointer.commit === p.commit.oid);
  return (incremental && (await incrementalProposal(p, live))) || (await fullProposal(p, live, journal));
}
