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
    const absent = await p.req.git.lfs.missing(files.map((f) => lfsOidOf(f.oid)!));
    if (absent.length > 0) p.req.reporter.event({ type: "notice", message: messages.lfsWouldFetch(absent.length) });
    return;
  }
  await fetchLfsContent(p.req.git, p.commit.oid, p.req.dir, files, p.req.reporter);
}

/**
 * Fetches what the clone lacks of these Git LFS files' content (paths relative to the workspace
 * `dir`, at `commit`); throws, naming the files, when some is still missing.
 */
export async function fetchLfsContent(
  git: GitReader,
  commit: string,
  dir: string,
  files: readonly PublishFile[],
  reporter: Reporter,
): Promise<void> {
  const oidOf = (f: PublishFile) => lfsOidOf(f.oid)!;
  const absent = new Set(await git.lfs.missing(files.map(oidOf)));
  if (absent.size === 0) return;
  const wanted = files.filter((f) => absent.has(oidOf(f)));
  const wsBase = dir === "" ? "" : `${dir}/`;
  reporter.event({ type: "notice", message: messages.lfsFetching(wanted.length) });
  const fetched = await git.lfs.fetch(
    commit,
    wanted.map((f) => wsBase + f.path),
  );
  const still = new Set(await git.lfs.missing([...absent]));
  if (still.size === 0) return;
  const missing = wanted.filter((f) => still.has(oidOf(f))).map((f) => f.path);
  if (!fetched.installed) throw gitInputError(messages.lfsNotInstalled(missing));
  // git-lfs ran and said the remote lacks an object: input to fix. Anything else (the network, the
  // credentials) may pass: a background publish tries again.
  if (fetched.ok || /missing object|does not exist|not found/i.test(fetched.said)) {
    throw gitInputError(messages.lfsMissing(missing, fetched.remote, fetched.said));
  }
  throw gitFailure(messages.lfsFetchFailed(missing, fetched.remote, fetched.said));
}
