import { gitFailure, gitInputError } from "../errors.js";
import type { Reporter } from "../events.js";
import type { GitReader } from "../git/port.js";
import type { PublishFile } from "../filter/publish-set.js";
import { lfsOidOf } from "../git/lfs-pointer.js";
import { MAX_COPY_BYTES } from "../limits.js";
import { messages } from "../messages.js";
import type { Proposal } from "./proposal.js";
import type { Publishing } from "./request.js";

/**
 * The Git LFS files whose content a proposal reads from the clone: those it uploads, and those it
 * copies by uploading again (past MAX_COPY_BYTES). Unchanged LFS files and server-side copies read
 * nothing.
 */
export function lfsFilesRead({ plan }: Pick<Proposal, "plan">): PublishFile[] {
  const read = [
    ...plan.put.map((a) => a.file),
    ...plan.copy.filter((a) => a.file.size > MAX_COPY_BYTES).map((a) => a.file),
  ];
  return read.filter((f) => lfsOidOf(f.oid) !== undefined);
}

/**
 * Makes sure the clone has the Git LFS content a publish will upload, before anything is written:
 * what the LFS store (`.git/lfs/objects`, or `lfs.storage`) lacks is fetched with `git lfs fetch`
 * for exactly those paths of the commit, from the remote git-lfs would use. Content that is still
 * missing (git-lfs absent, the remote without the object) is an error that names the files; the
 * bucket is untouched. With --dry-run nothing is fetched: a notice says what would be.
 */
export async function ensureLfsContent(p: Publishing, proposal: Proposal): Promise<void> {
  const files = lfsFilesRead(proposal);
  if (files.length === 0) return;
  if (p.req.dryRun) {
    const absent = new Set(await p.req.git.lfs.missing(files.map(objectOf)));
    const count = files.filter((f) => absent.has(objectOf(f).oid)).length;
    if (count > 0) p.req.reporter.event({ type: "notice", message: messages.lfsWouldFetch(count) });
    return;
  }
  await fetchLfsContent(p.req.git, p.commit.oid, p.req.dir, files, p.req.reporter);
}

const objectOf = (f: PublishFile) => ({ oid: lfsOidOf(f.oid)!, size: f.size });

/** What git-lfs says of an object the remote does not have (per object, whatever the transfer). */
const NOT_ON_REMOTE =
  /remote missing object|object does not exist on the server|not found on the server|missing object:/i;
/** What git-lfs says when the remote itself is wrong. */
const BAD_REMOTE = /invalid remote name|invalid ref argument/i;

/**
 * Fetches what the clone lacks of these Git LFS files' content (paths relative to the workspace
 * `dir`, at `commit`); throws, naming the files, when some is still missing: exit 2 when the
 * input is to fix (git-lfs absent, the remote without the object, a wrong remote, a store that
 * cannot be written), exit 1 (retried by hooks and watch) when the fetch failed otherwise.
 */
export async function fetchLfsContent(
  git: GitReader,
  commit: string,
  dir: string,
  files: readonly PublishFile[],
  reporter: Reporter,
): Promise<void> {
  const absent = new Set(await git.lfs.missing(files.map(objectOf)));
  if (absent.size === 0) return;
  const wanted = files.filter((f) => absent.has(objectOf(f).oid));
  const wsBase = dir === "" ? "" : `${dir}/`;
  reporter.event({ type: "notice", message: messages.lfsFetching(wanted.length) });
  const fetched = await git.lfs.fetch(
    commit,
    wanted.map((f) => wsBase + f.path),
  );
  const still = new Set(await git.lfs.missing(wanted.map(objectOf)));
  if (still.size === 0) return;
  const missing = wanted.filter((f) => still.has(objectOf(f).oid)).map((f) => f.path);
  const said = lastLines(fetched.said);
  if (!fetched.installed) throw gitInputError(messages.lfsNotInstalled(missing));
  if (!(await git.lfs.writable())) throw gitInputError(messages.lfsReadOnly(missing, said));
  if (fetched.ok || NOT_ON_REMOTE.test(fetched.said) || BAD_REMOTE.test(fetched.said)) {
    throw gitInputError(messages.lfsMissing(missing, fetched.remote, said));
  }
  throw gitFailure(messages.lfsFetchFailed(missing, fetched.remote, said));
}

/** git-lfs's last words (its progress lines come first). */
const lastLines = (text: string) => text.trim().split("\n").slice(-4).join("\n");
