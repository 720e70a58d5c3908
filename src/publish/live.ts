import { parseManifest, type Manifest } from "../manifest/manifest.js";
import { parsePointer, type Pointer } from "../manifest/pointer.js";
import type { Layout } from "../store/layout.js";
import type { ObjectStore } from "../store/port.js";
import { storeError } from "../errors.js";

export interface LiveState {
  pointer: Pointer;
  /** undefined when the pointer names a manifest that is gone. */
  manifest: Manifest | undefined;
}

/** Reads the pointer and the manifest it names; undefined when nothing is published. */
export async function readLive(store: ObjectStore, layout: Layout): Promise<LiveState | undefined> {
  const text = await store.get(layout.pointerKey);
  if (text === undefined) return undefined;
  let pointer: Pointer;
  try {
    pointer = parsePointer(text.toString("utf8"));
  } catch (e) {
    throw storeError(`the pointer ${layout.pointerKey} in ${store.description} is unreadable (${(e as Error).message}); republish with --force to replace it`, e);
  }
  const body = await store.get(pointer.manifest);
  if (body === undefined) return { pointer, manifest: undefined };
  try {
    return { pointer, manifest: parseManifest(body.toString("utf8")) };
  } catch (e) {
    throw storeError(`the manifest ${pointer.manifest} in ${store.description} is unreadable (${(e as Error).message}); republish with --force to replace it`, e);
  }
}
