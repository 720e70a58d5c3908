import { parseManifest, type Manifest } from "../manifest/manifest.js";
import { parsePointer, type Pointer } from "../manifest/pointer.js";
import type { Layout } from "../store/layout.js";
import type { ObjectStore } from "../store/port.js";
import { WspubError } from "../errors.js";

export interface LiveState {
  pointer: Pointer;
  /** The pointer's ETag, for the compare-and-swap that moves it. */
  pointerEtag: string;
  /** undefined when the pointer names a manifest that is gone. */
  manifest: Manifest | undefined;
}

/** Reads the pointer and the manifest it names; undefined when nothing is published. */
export async function readLive(store: ObjectStore, layout: Layout): Promise<LiveState | undefined> {
  // Parsed with one retry: a body cut short by the network is not retried by the SDK, and a
  // second read tells a transient fault from a record that is really broken.
  for (let attempt = 1; ; attempt++) {
    try {
      return await readOnce(store, layout);
    } catch (e) {
      if (attempt >= 2 || !(e instanceof Unreadable)) throw e instanceof Unreadable ? e.error : e;
    }
  }
}

class Unreadable extends Error {
  constructor(readonly error: UnreadableLiveError) {
    super(error.message);
  }
}

/** The pointer or the manifest it names cannot be parsed. `push --force` replaces them (it needs the pointer's ETag for that). */
export class UnreadableLiveError extends WspubError {
  constructor(
    message: string,
    readonly pointerEtag: string,
    cause: unknown,
  ) {
    super("store", message, { cause });
  }
}

async function readOnce(store: ObjectStore, layout: Layout): Promise<LiveState | undefined> {
  const current = await store.getVersioned(layout.pointerKey);
  if (current === undefined) return undefined;
  let pointer: Pointer;
  try {
    pointer = parsePointer(current.body.toString("utf8"));
  } catch (e) {
    throw new Unreadable(new UnreadableLiveError(`the pointer ${layout.pointerKey} in ${store.description} is unreadable (${(e as Error).message}); republish with --force to replace it`, current.etag, e));
  }
  const body = await store.get(pointer.manifest);
  if (body === undefined) return { pointer, pointerEtag: current.etag, manifest: undefined };
  try {
    return { pointer, pointerEtag: current.etag, manifest: parseManifest(body.toString("utf8")) };
  } catch (e) {
    throw new Unreadable(new UnreadableLiveError(`the manifest ${pointer.manifest} in ${store.description} is unreadable (${(e as Error).message}); republish with --force to replace it`, current.etag, e));
  }
}
