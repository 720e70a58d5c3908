import type { PublishFile } from "../filter/publish-set.js";
import { lfsOidOf } from "../git/lfs-pointer.js";
import type { GitReader } from "../git/port.js";
import { PART_SIZE, STREAM_THRESHOLD } from "../limits.js";
import type { Journal } from "../manifest/journal.js";
import { entryOf, type ManifestEntry } from "../manifest/entry.js";
import type { KeepAction, Plan } from "../plan/plan.js";
import { runBounded } from "../queue.js";
import { MultipartEtag } from "../store/multipart-etag.js";
import type { ObjectInfo } from "../store/port.js";
import { type Digests, digestBuffer, digestReadable, manifestEntry, readSmallBlob } from "./content.js";
import type { DigestTable } from "./digest-table.js";
import type { Publishing } from "./request.js";

/**
 * Resume: a publish of the same commit that died part-way (its journal is in the pointer) has
 * already written some of the objects this one plans to write. The listing of the prefix shows
 * them: an object the journal names, written after that publish started, with the size of the
 * file and the ETag its bytes give (the MD5, or the multipart ETag of PART_SIZE parts) holds this
 * commit's file with this commit's metadata (the same publisher wrote it), and is kept. Only those
 * candidates' blobs are read (to hash them); the rest of the plan stands. Paths the live manifest
 * has are never kept (an object from before, same bytes but another mode, could pass the checks). Returns the plan with
 * the kept objects moved from put/copy to keep, and their digests added to `digests`.
 */
export async function resumePlan(
  p: Publishing,
  plan: Plan,
  listed: ReadonlyMap<string, ObjectInfo>,
  journal: Journal,
  digests: DigestTable,
  live: Readonly<Record<string, ManifestEntry>>,
): Promise<Plan> {
  if (journal.commit !== p.commit.oid) return plan;
  // Listings give whole seconds on some servers (SeaweedFS): an object written in the second the
  // publish started is listed as older than its start.
  const started = Math.floor(Date.parse(journal.startedAt) / 1000) * 1000;
  const named = journal.writes === "all" ? undefined : new Set(journal.writes);
  const candidate = ({ file, object }: { file: PublishFile; object: string }) => {
    const info = listed.get(object);
    if (!info || info.etag === undefined || info.size !== file.size) return false;
    if (named && !named.has(object)) return false;
    // A path the live manifest has was there before: same bytes need not mean same metadata.
    if (entryOf(live, file.path) !== undefined) return false;
    return info.modifiedAt !== undefined && Number.isFinite(started) && info.modifiedAt >= started;
  };
  const listedCandidates = [...plan.put, ...plan.copy].filter(candidate);
  // Git LFS content this clone does not have yet is not read here (publish/lfs-content.ts fetches it).
  const lfs = listedCandidates.flatMap(({ file }) => {
    const oid = lfsOidOf(file.oid);
    return oid === undefined ? [] : [{ oid, size: file.size }];
  });
  const absent = new Set(lfs.length === 0 ? [] : await p.req.git.lfs.missing(lfs));
  const candidates = listedCandidates.filter(({ file }) => !absent.has(lfsOidOf(file.oid) ?? ""));
  if (candidates.length === 0) return plan;
  const kept = new Map<string, KeepAction>();
  await runBounded(candidates, p.req.concurrency, async ({ file, object }) => {
    const { digest, etag } = await contentOf(p.req.git, file);
    if (etag !== listed.get(object)!.etag) return;
    digests.set(file.oid, digest);
    kept.set(object, { file, object, entry: manifestEntry(file, digest, p.commit.committerTime) });
  });
  if (kept.size === 0) return plan;
  p.req.reporter.event({
    type: "notice",
    message: `resuming: ${kept.size} objects an interrupted publish of this commit wrote are kept`,
  });
  // A copy from a kept object still reads the same content.
  const put = plan.put.filter((a) => !kept.has(a.object));
  const copy = plan.copy.filter((a) => !kept.has(a.object));
  return { put, copy, keep: [...plan.keep, ...kept.values()], delete: plan.delete, added: plan.added };
}

/** The digests of a blob and the ETag the server gives the object wspub uploads from it. */
async function contentOf(git: GitReader, file: PublishFile): Promise<{ digest: Digests; etag: string }> {
  if (file.size <= STREAM_THRESHOLD) {
    const body = await readSmallBlob(git, file.oid);
    const digest = digestBuffer(body);
    return { digest, etag: Buffer.from(digest.md5, "base64").toString("hex") };
  }
  const parts = new MultipartEtag(PART_SIZE);
  const blob = git.streamBlob(file.oid);
  // pipe() does not pass an error on: git failing must end the hashing, not leave it waiting.
  blob.on("error", (e) => parts.destroy(e));
  const digest = await digestReadable(blob.pipe(parts));
  return { digest, etag: parts.expected() };
}
