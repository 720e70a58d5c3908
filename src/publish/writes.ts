import { refusedError } from "../errors.js";
import { MAX_COPY_BYTES, STREAM_THRESHOLD } from "../limits.js";
import { fileRecord, type ManifestEntry, manifestDigest } from "../manifest/entry.js";
import { writeJournal } from "../manifest/journal.js";
import { type Pointer, serializePointer } from "../manifest/pointer.js";
import { putJson } from "../manifest/put-json.js";
import { type ManifestRoot, serializeRoot } from "../manifest/sharded.js";
import { messages } from "../messages.js";
import type { Plan } from "../plan/plan.js";
import { runBounded } from "../queue.js";
import { type Digests, digestBuffer, digestStream, readSmallBlob, writeOptions } from "./content.js";
import { crashPoint } from "./crash.js";
import type { Proposal } from "./proposal.js";
import type { Publishing } from "./request.js";

/** Throws when the publisher has lost its lock: called before every write. */
export type Hold = () => void;

/** The journal: the objects this publish will write and delete, before it touches any (see manifest/journal.ts). */
export async function recordJournal(p: Publishing, plan: Plan, hold: Hold): Promise<void> {
  hold();
  await writeJournal(p.req.store, p.req.layout, {
    version: 1,
    commit: p.commit.oid,
    startedAt: new Date().toISOString(),
    holder: p.req.actor,
    writes: [...plan.put, ...plan.copy].map((a) => a.object),
    deletes: plan.delete,
  });
}

/**
 * Uploads new content (small blobs read whole through the shared cat-file process, large ones
 * streamed and uploaded multipart), then server-side copies of content the bucket already holds.
 * Copies run after the puts: a copy may read an object a put just wrote. `digests` gains the
 * digests of what was uploaded.
 */
export async function applyWrites(p: Publishing, plan: Plan, digests: Map<string, Digests>, hold: Hold): Promise<void> {
  const { git, store, layout, reporter, concurrency } = p.req;
  const mtime = p.commit.committerTime;
  const total = plan.put.length + plan.copy.length;
  let done = 0;
  let bytes = 0;
  const tick = (size: number) => {
    done++;
    bytes += size;
    reporter.event({ type: "progress", done, total, bytes });
    crashPoint(p.req.env, `upload:${done}`);
  };
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
    tick(file.size);
  });
  await runBounded(plan.copy, concurrency, async ({ file, object, from }) => {
    hold();
    const options = writeOptions(file, digests.get(file.oid)!.md5, mtime);
    if (file.size > MAX_COPY_BYTES) {
      await store.putStream(layout.objectKey(object), () => git.streamBlob(file.oid), options);
    } else {
      await store.copy(layout.objectKey(from), layout.objectKey(object), options);
    }
    tick(0);
  });
}

/**
 * The new manifest: the shards not already stored, then the immutable root that names them.
 * Returns the root and its key.
 */
export async function writeManifest(
  p: Publishing,
  proposal: Proposal,
  hold: Hold,
): Promise<{ key: string; root: ManifestRoot }> {
  const { store, layout, concurrency } = p.req;
  const next = await proposal.manifest(writtenEntries(p, proposal));
  const rootText = serializeRoot(next.root);
  const key = layout.manifestKey(p.commit.oid, manifestDigest(rootText));
  const missing = [...next.texts].filter(([digest]) => !proposal.present.has(digest));
  await runBounded(missing, concurrency, async ([digest, text]) => {
    hold();
    await putJson(store, layout.shardKey(digest), text);
  });
  hold();
  await putJson(store, key, rootText);
  return { key, root: next.root };
}

/** Manifest entries of the objects the plan wrote. */
function writtenEntries(p: Publishing, proposal: Proposal): Record<string, ManifestEntry> {
  const written = fileRecord();
  for (const { file } of [...proposal.plan.put, ...proposal.plan.copy]) {
    const d = proposal.digests.get(file.oid)!;
    const mode = file.mode as ManifestEntry["mode"];
    written[file.path] = {
      blob: file.oid,
      sha256: d.sha256,
      md5: d.md5,
      size: file.size,
      mode,
      mtime: p.commit.committerTime,
    };
  }
  return written;
}

/**
 * Moves the pointer to the new manifest by compare-and-swap on the ETag it had (`etag`; none: it
 * must not exist yet). A 412 whose pointer now holds exactly our text is our own write, its
 * response lost; anything else means another publisher moved it.
 */
export async function movePointer(
  p: Publishing,
  etag: string | undefined,
  manifest: { key: string; root: ManifestRoot },
  previous: string | null,
  hold: Hold,
): Promise<void> {
  const { store, layout, actor } = p.req;
  const pointer: Pointer = {
    version: 1,
    workspace: layout.workspace,
    commit: p.commit.oid,
    manifest: manifest.key,
    previous,
    publishedAt: new Date().toISOString(),
    publishedBy: actor,
    files: manifest.root.files,
    bytes: manifest.root.bytes,
  };
  const body = Buffer.from(serializePointer(pointer), "utf8");
  hold();
  const moved = await store.putConditional(
    layout.pointerKey,
    body,
    etag !== undefined ? { ifMatch: etag } : { ifNoneMatch: true },
  );
  if (moved !== "conflict") return;
  const now = await store.getVersioned(layout.pointerKey);
  if (now?.body.equals(body)) return;
  throw refusedError(messages.pointerMoved(layout.workspace));
}

/** Deletes what the new commit no longer has, in two halves (a crash point between them). */
export async function deleteObjects(p: Publishing, names: readonly string[], hold: Hold): Promise<void> {
  const { store, layout } = p.req;
  const doomed = names.map((name) => layout.objectKey(name));
  const half = Math.ceil(doomed.length / 2);
  hold();
  await store.deleteMany(doomed.slice(0, half));
  crashPoint(p.req.env, "during-deletes");
  await store.deleteMany(doomed.slice(half));
}
