import type { PublishFile } from "../filter/publish-set.js";
import { collectGarbage } from "../heap.js";
import { COLLECT_EVERY, MAX_COPY_BYTES, STREAM_THRESHOLD, TOGETHER_MAX_BYTES, TOGETHER_MAX_FILES } from "../limits.js";
import { type ManifestEntry, manifestDigest } from "../manifest/entry.js";
import { putJson } from "../manifest/put-json.js";
import { type ManifestRoot, serializeRoot } from "../manifest/sharded.js";
import type { Plan } from "../plan/plan.js";
import { runBounded } from "../queue.js";
import { digestBuffer, digestStream, manifestEntry, readSmallBlob, writeOptions } from "./content.js";
import { crashPoint } from "./crash.js";
import type { DigestTable } from "./digest-table.js";
import type { NextManifest, Proposal } from "./proposal.js";
import type { Publishing } from "./request.js";

/** Throws when the publisher has lost its lock: called before every write. */
export type Hold = () => void;

/** The manifest a publish wrote: its root and the root's key. */
export interface WrittenManifest {
  key: string;
  root: ManifestRoot;
}

/** The object names a plan writes (its journal's `writes`). */
export const objectsWritten = ({ plan, markers }: Pick<Proposal, "plan" | "markers">): string[] => [
  ...[...plan.put, ...plan.copy].map((a) => a.object),
  ...markers.put,
];

/**
 * Writes the new content and the new (immutable) manifest, which nothing names until the pointer
 * moves. A small change is read from git first, so that its digests, and so the manifest, are
 * known before anything is written: the objects, shards and root then go out together, in one
 * round of parallel requests. A large one (more than TOGETHER_MAX_FILES or TOGETHER_MAX_BYTES, or
 * a file that streams) uploads the objects, then writes the manifest.
 */
export async function writeContent(p: Publishing, proposal: Proposal, hold: Hold): Promise<WrittenManifest> {
  const bodies = await readSmallChange(p, proposal.plan);
  let written: WrittenManifest;
  if (bodies) {
    written = await writeTogether(p, proposal, bodies, hold);
  } else {
    await applyWrites(p, proposal.plan, proposal.digests, hold);
    crashPoint(p.req.env, "before-manifest");
    const next = await proposal.manifest(writtenEntry(p, proposal));
    written = await writeManifest(p, proposal, next, [], hold);
  }
  crashPoint(p.req.env, "after-manifest");
  return written;
}

/** The bodies of the plan's uploads by blob id, when the change is small enough to hold; else undefined. */
async function readSmallChange(p: Publishing, plan: Plan): Promise<Map<string, Buffer> | undefined> {
  const bytes = plan.put.reduce((sum, a) => sum + a.file.size, 0);
  const small =
    plan.put.every((a) => a.file.size <= STREAM_THRESHOLD) && plan.copy.every((a) => a.file.size <= MAX_COPY_BYTES);
  if (!small || plan.put.length > TOGETHER_MAX_FILES || bytes > TOGETHER_MAX_BYTES) return undefined;
  const bodies = new Map<string, Buffer>();
  await runBounded(plan.put, p.req.concurrency, async ({ file }) => {
    bodies.set(file.oid, await readSmallBlob(p.req.git, file.oid));
  });
  return bodies;
}

async function writeTogether(
  p: Publishing,
  proposal: Proposal,
  bodies: ReadonlyMap<string, Buffer>,
  hold: Hold,
): Promise<WrittenManifest> {
  const { store, layout } = p.req;
  const { plan, digests } = proposal;
  for (const [oid, body] of bodies) digests.set(oid, digestBuffer(body));
  const next = await proposal.manifest(writtenEntry(p, proposal));
  crashPoint(p.req.env, "before-manifest");
  const mtime = p.commit.committerTime;
  const progress = tracker(p, plan);
  // A copy whose source this publish writes is a put of the body read anyway: nothing waits for it.
  const written = new Set(plan.put.map((a) => a.object));
  const actions: { file: PublishFile; object: string; from?: string }[] = [...plan.put, ...plan.copy];
  const objects = actions.map((a) => async () => {
    const options = writeOptions(a.file, digests.get(a.file.oid)!.md5, mtime);
    const from = a.from !== undefined && !written.has(a.from) ? a.from : undefined;
    if (from !== undefined) await store.copy(layout.objectKey(from), layout.objectKey(a.object), options);
    else await store.put(layout.objectKey(a.object), bodies.get(a.file.oid)!, options);
    progress(from === undefined ? a.file.size : 0);
  });
  return writeManifest(p, proposal, next, objects, hold);
}

/**
 * Uploads new content (small blobs read whole through the shared cat-file process, large ones
 * streamed and uploaded multipart), then server-side copies of content the bucket already holds.
 * Copies run after the puts: a copy may read an object a put just wrote. `digests` gains the
 * digests of what was uploaded.
 */
async function applyWrites(p: Publishing, plan: Plan, digests: DigestTable, hold: Hold): Promise<void> {
  const { git, store, layout, concurrency } = p.req;
  const mtime = p.commit.committerTime;
  const progress = tracker(p, plan);
  await runBounded(plan.put, concurrency, async ({ file, object }) => {
    hold();
    const key = layout.objectKey(object);
    if (file.size <= STREAM_THRESHOLD) {
      const body = await readSmallBlob(git, file.oid);
      const d = digestBuffer(body);
      digests.set(file.oid, d);
      await store.put(key, body, writeOptions(file, d.md5, mtime));
    } else {
      const d = digests.get(file.oid) ?? (await digestStream(git, file.oid));
      digests.set(file.oid, d);
      await store.putStream(key, () => git.streamBlob(file.oid), writeOptions(file, d.md5, mtime));
    }
    progress(file.size);
  });
  await runBounded(plan.copy, concurrency, async ({ file, object, from }) => {
    hold();
    const options = writeOptions(file, digests.get(file.oid)!.md5, mtime);
    if (file.size > MAX_COPY_BYTES) {
      await store.putStream(layout.objectKey(object), () => git.streamBlob(file.oid), options);
    } else {
      await store.copy(layout.objectKey(from), layout.objectKey(object), options);
    }
    progress(0);
  });
}

/** Reports progress after each object written (and marks the crash points upload:<k>). */
function tracker(p: Publishing, plan: Plan): (bytes: number) => void {
  const total = plan.put.length + plan.copy.length;
  let done = 0;
  let bytes = 0;
  return (size) => {
    done++;
    bytes += size;
    p.req.reporter.event({ type: "progress", done, total, bytes });
    if (done % COLLECT_EVERY === 0) collectGarbage();
    crashPoint(p.req.env, `upload:${done}`);
  };
}

/** The shards not already stored and the root that names them, alongside `more` writes. */
async function writeManifest(
  p: Publishing,
  proposal: Proposal,
  next: NextManifest,
  more: (() => Promise<void>)[],
  hold: Hold,
): Promise<WrittenManifest> {
  const { store, layout, concurrency } = p.req;
  const rootText = serializeRoot(next.root);
  const key = layout.manifestKey(p.commit.oid, manifestDigest(rootText));
  // A shard's text is made when its write starts: no more than `concurrency` are held at once.
  const shards = [...next.texts]
    .filter(([digest]) => !proposal.present.has(digest))
    .map(
      ([digest, text]) =>
        () =>
          putJson(store, layout.shardKey(digest), text()),
    );
  const writes = [...more, ...shards, () => putJson(store, key, rootText)];
  await runBounded(writes, concurrency, async (write) => {
    hold();
    await write();
  });
  return { key, root: next.root };
}

/** Makes the manifest entry of a file the plan wrote, from the digests its write recorded. */
function writtenEntry(p: Publishing, proposal: Proposal): (file: PublishFile) => ManifestEntry {
  return (file) => manifestEntry(file, proposal.digests.get(file.oid)!, p.commit.committerTime);
}

/** Deletes what the new commit no longer has, in two halves (a crash point between them). */
export async function deleteObjects(p: Publishing, names: readonly string[], hold: Hold): Promise<void> {
  if (names.length === 0) return;
  const { store, layout } = p.req;
  const doomed = names.map((name) => layout.objectKey(name));
  const half = Math.ceil(doomed.length / 2);
  hold();
  await store.deleteMany(doomed.slice(0, half));
  crashPoint(p.req.env, "during-deletes");
  await store.deleteMany(doomed.slice(half));
}
