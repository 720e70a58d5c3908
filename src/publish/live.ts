import { parseManifest, type Manifest } from "../manifest/manifest.js";
import { parsePointer, type Pointer } from "../manifest/pointer.js";
import type { Layout } from "../store/layout.js";
import type { ObjectStore } from "../store/port.js";
import { storeError } from "../errors.js";

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
  constructor(readonly error: Error) {
    super(error.message);
  }
}

async function readOnce(store: ObjectStore, layout: Layout): Promise<LiveState | undefined> {
  const current = await store.getVersioned(layout.pointerKey);
  if (current === undefined) return undefined;
  let pointer: Pointer;
  try {
    pointer = parsePointer(current.body.toString("utf8"));
  } catch (e) {
    throw new Unreadable(storeError(`the pointer ${layout.pointerKey} in ${store.description} is unreadable (${(e as Error).message}); republish with --force to replace it`, e));
  }
  const body = await store.get(pointer.manifest);
  if (body === undefined) return { pointer, pointerEtag: current.etag, manifest: undefined };
  try {
    return { pointer, pointerEtag: current.etag, manifest: parseManifest(body.toString("utf8")) };
  } catch (e) {
    throw new Unreadable(storeError(`the manifest ${pointer.manifest} in ${store.description} is unreadable (${(e as Error).message}); republish with --force to replace it`, e));
  }
}
