import { fileRecord, type ManifestEntry } from "./entry.js";
import { parseShard, parseStoredManifest, type ManifestRoot, type StoredManifest } from "./sharded.js";
import { readLegacyJournal } from "./journal.js";
import { parseLockRecord } from "./lock-record.js";
import { parsePointer, type Pointer, type Seen } from "./pointer.js";
import type { Layout, LayoutStyle } from "../store/layout.js";
import type { ObjectStore } from "../store/port.js";
import { describeTarget } from "../store/target.js";
import { WspubError } from "../errors.js";
import { runBounded } from "../queue.js";

/** A pointer that names a live commit (its first publish is done). */
export type Published = Pointer & { commit: string; manifest: string; publishedAt: string; publishedBy: string };

export interface LiveState {
  pointer: Published;
  /** The pointer's ETag, for the compare-and-swap that moves it. */
  pointerEtag: string;
  /** The manifest the pointer names (a version 2 root, or a whole version 1 manifest); undefined when it is gone. */
  stored: StoredManifest | undefined;
}

/** The pointer as a publish reads it: the record and its ETag, and what it names as live. */
export interface PointerState {
  /** undefined: there is no pointer yet. */
  seen: Seen | undefined;
  /** undefined: nothing is published yet (no pointer, or the first publish is under way or died). */
  live: LiveState | undefined;
  /** A version 1 pointer (an older wspub's): its lock.json and journal.json may exist beside it. */
  legacy: boolean;
}

/**
 * The pointer or a manifest record it leads to cannot be parsed. `push --force` replaces them (it
 * needs the pointer's ETag for that).
 */
export class UnreadableLiveError extends WspubError {
  constructor(
    message: string,
    readonly pointerEtag: string,
    cause: unknown,
  ) {
    super("store", message, { cause });
  }
}

export const isPublished = (p: Pointer): p is Published => p.commit !== null && p.manifest !== null;

/**
 * Reads the pointer: one GET, since it carries the live manifest's root. A pointer written by an
 * older wspub (version 1) does not; its root is read from the manifest it names.
 */
export async function readPointerState(store: ObjectStore, layout: Layout): Promise<PointerState> {
  return withRetry(async () => {
    const current = await store.getVersioned(layout.pointerKey);
    if (current === undefined) return { seen: undefined, live: undefined, legacy: false };
    const broken = (what: string, e: unknown) =>
      new Unreadable(
        new UnreadableLiveError(
          `the ${what} in ${describeTarget(layout.target)} is unreadable (${(e as Error).message}); republish ` +
            `with --force to replace it`,
          current.etag,
          e,
        ),
      );
    let parsed: ReturnType<typeof parsePointer>;
    try {
      parsed = parsePointer(current.body.toString("utf8"));
      checkRoot(parsed.pointer.root);
    } catch (e) {
      throw broken(`pointer ${layout.pointerKey}`, e);
    }
    const { pointer, legacy } = parsed;
    if (legacy) await importLegacy(store, layout, pointer);
    const seen = { pointer, etag: current.etag };
    const carried = carriedLive(seen);
    if (carried !== "read") return { seen, live: carried, legacy };
    const published = pointer as Published;
    const body = await store.get(published.manifest);
    const live = { pointer: published, pointerEtag: current.etag };
    if (body === undefined) return { seen, live: { ...live, stored: undefined }, legacy };
    try {
      return { seen, live: { ...live, stored: parseStoredManifest(body.toString("utf8")) }, legacy };
    } catch (e) {
      throw broken(`manifest ${published.manifest}`, e);
    }
  });
}

/**
 * What a pointer names as live, when the pointer tells it all: undefined when nothing is
 * published, the live state when the pointer carries its manifest's root, and "read" when the
 * manifest must be read for it (a pointer an older wspub wrote).
 */
export function carriedLive({ pointer, etag }: Seen): LiveState | undefined | "read" {
  if (!isPublished(pointer)) return undefined;
  if (pointer.root?.commit !== pointer.commit) return "read";
  return { pointer, pointerEtag: etag, stored: { version: 2, root: pointer.root } };
}

/** The live commit and its manifest; undefined when nothing is published. */
export async function readLive(store: ObjectStore, layout: Layout): Promise<LiveState | undefined> {
  return (await readPointerState(store, layout)).live;
}

/**
 * An older wspub kept the lock and the journal in objects of their own (lock.json, journal.json):
 * they are read into the converted pointer, so that a publisher of this version waits for an
 * older one, and finishes the job of one that died.
 */
async function importLegacy(store: ObjectStore, layout: Layout, pointer: Pointer): Promise<void> {
  const [lock, journal] = await Promise.all([store.get(layout.lockKey), readLegacyJournal(store, layout)]);
  pointer.lock = lock ? (parseLockRecord(lock) ?? null) : null;
  pointer.journal = journal ?? null;
}

function checkRoot(root: ManifestRoot | null): void {
  if (root && !Number.isInteger(Math.log2(root.shards.length))) {
    throw new Error("the manifest root: the shard count is not a power of two");
  }
}

/** One shard of a version 2 manifest; undefined when it is gone. */
export async function readShard(
  store: ObjectStore,
  layout: Layout,
  live: LiveState,
  digest: string,
): Promise<Record<string, ManifestEntry> | undefined> {
  const key = layout.shardKey(digest);
  return withRetry(async () => {
    const body = await store.get(key);
    if (body === undefined) return undefined;
    try {
      return parseShard(body.toString("utf8"));
    } catch (e) {
      throw new Unreadable(
        new UnreadableLiveError(
          `the manifest shard ${key} in ${describeTarget(layout.target)} is unreadable ` +
            `(${(e as Error).message}); republish with --force to replace it`,
          live.pointerEtag,
          e,
        ),
      );
    }
  });
}

/**
 * Every entry of the live manifest (all shards, read concurrently); undefined when the manifest or one
 * of its shards is gone.
 */
export async function readLiveFiles(
  store: ObjectStore,
  layout: Layout,
  live: LiveState,
  concurrency = 16,
): Promise<Record<string, ManifestEntry> | undefined> {
  const stored = live.stored;
  if (stored === undefined) return undefined;
  if (stored.version === 1) return stored.manifest.files;
  const shards: (Record<string, ManifestEntry> | undefined)[] = [];
  await runBounded([...stored.root.shards.keys()], concurrency, async (i) => {
    shards[i] = await readShard(store, layout, live, stored.root.shards[i]!);
  });
  if (shards.some((s) => s === undefined)) return undefined;
  return Object.assign(fileRecord(), ...shards) as Record<string, ManifestEntry>;
}

class Unreadable extends Error {
  constructor(readonly error: UnreadableLiveError) {
    super(error.message);
  }
}

// Parsed with one retry: a body cut short by the network is not retried by the SDK, and a second
// read tells a transient fault from a record that is really broken.
async function withRetry<T>(read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (e) {
      if (attempt >= 2 || !(e instanceof Unreadable)) throw e instanceof Unreadable ? e.error : e;
    }
  }
}

/** How the live manifest's objects are laid out: its root's `layout`; undefined without a version 2 root. */
export function styleOf(live: LiveState | undefined): LayoutStyle | undefined {
  return live?.stored?.version === 2 ? (live.stored.root.layout ?? "rclone") : undefined;
}
