import type { GitReader } from "../git/port.js";
import { readLive } from "../manifest/live.js";
import type { Layout } from "../store/layout.js";
import type { ObjectStore } from "../store/port.js";
import { targetFields } from "../store/target.js";

export interface StatusResult {
  workspace: string;
  /** The target's URL, with its prefix; the S3 endpoint on its own. */
  target: string;
  endpoint: string | null;
  published: boolean;
  commit: string | null;
  publishedAt: string | null;
  publishedBy: string | null;
  files: number | null;
  bytes: number | null;
  /** The live slot of an atomic workspace (its link names it); null in place. */
  slot: "a" | "b" | null;
  /** Local HEAD, and how many of its commits are not live yet (null when unknown). */
  head: string | null;
  behind: number | null;
  /** Commits live that HEAD does not have (the live commit is on another branch, or a rollback). */
  ahead: number | null;
  note: string | null;
}

/** The live commit of a workspace and how it relates to the local HEAD. */
export async function status(store: ObjectStore, layout: Layout, git: GitReader | undefined): Promise<StatusResult> {
  const live = await readLive(store, layout);
  const p = live?.pointer;
  const out: StatusResult = {
    workspace: layout.workspace,
    ...targetFields(layout.target),
    published: p !== undefined,
    commit: p?.commit ?? null,
    publishedAt: p?.publishedAt ?? null,
    publishedBy: p?.publishedBy ?? null,
    files: p?.files ?? null,
    bytes: p?.bytes ?? null,
    slot: p?.slot ?? null,
    head: null,
    behind: null,
    ahead: null,
    note: null,
  };
  if (!git) return out;
  const head = await git.resolveCommit("HEAD").catch(() => undefined);
  out.head = head?.oid ?? null;
  if (!head || !p) return out;
  if (!(await git.hasCommit(p.commit))) {
    out.note = "the live commit is not in this clone; fetch to compare";
    return out;
  }
  out.behind = await git.countCommits(p.commit, head.oid);
  out.ahead = await git.countCommits(head.oid, p.commit);
  return out;
}
