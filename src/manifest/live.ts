import { fileRecord, type ManifestEntry } from "./entry.js";
import { parseShard, parseStoredManifest, type StoredManifest } from "./sharded.js";
import { parsePointer, type Pointer } from "./pointer.js";
import type { Layout } from "../store/layout.js";
import type { ObjectStore } from "../store/port.js";
import { describeTarget } from "../store/target.js";
import { WspubError } from "../errors.js";
import { runBounded } from "../queue.js";

export interface LiveState {
  pointer: Pointer;
  /** The pointer's ETag, for the compare-and-swap that moves it. */
  pointerEtag: string;
  /** The manifest the pointer names (a version 2 root, or a whole version 1 manifest); undefined when it is gone. */
  stored: StoredManifest | undefined;
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

/** Reads the pointer and the manifest root it names (two small GETs); undefined when nothing is published. */
export async function readLive(store: ObjectStore, layout: Layout): Promise<LiveState | undefined> {
  return withRetry(async () => {
    const current = await store.getVersioned(layout.pointerKey);
    if (current === undefined) return undefined;
    const broken = (what: string, e: unknown) =>
      new Unreadable(
        new UnreadableLiveError(
          `the ${what} in ${describeTarget(layout.target)} is unreadable (${(e as Error).message}); republish ` +
            `with --force to replace it`,
          current.etag,
          e,
        ),
      );
    let pointer: Pointer;
    try {
      pointer = parsePointer(current.body.toString("utf8"));
    } catch (e) {
      throw broken(`pointer ${layout.pointerKey}`, e);
    }
    const body = await store.get(pointer.manifest);
    if (body === undefined) return { pointer, pointerEtag: current.etag, stored: undefined };
    try {
      return { pointer, pointerEtag: current.etag, stored: parseStoredManifest(body.toString("utf8")) };
    } catch (e) {
      throw broken(`manifest ${pointer.manifest}`, e);
    }
  });
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
