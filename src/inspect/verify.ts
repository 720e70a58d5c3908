import { createHash } from "node:crypto";
import { Layout, type LayoutStyle, markersOf, objectName, type Slot } from "../store/layout.js";
import { describeTarget, targetFields } from "../store/target.js";
import type { ObjectInfo, ObjectStore } from "../store/port.js";
import { existingKeys } from "../store/keys.js";
import { usageError } from "../errors.js";
import { messages } from "../messages.js";
import { type PointerState, readPointerState, readLiveFiles, styleOf } from "../manifest/live.js";
import { inPlaceObjects, readLink } from "../publish/link.js";
import { runBounded } from "../queue.js";

export interface Drift {
  path: string;
  object: string;
  reason: string;
}

export interface VerifyResult {
  workspace: string;
  commit: string;
  /** The target's URL, with its prefix; the S3 endpoint on its own. */
  target: string;
  endpoint: string | null;
  ok: boolean;
  checked: number;
  missing: Drift[];
  changed: Drift[];
  unexpected: string[];
  /** The commit of a publish that died midway (its journal is still there), or null. */
  interrupted: string | null;
  /** An atomic workspace: the live slot (what the rest describes), its link, and objects left in place. */
  atomic?: AtomicDrift;
}

export interface AtomicDrift {
  slot: Slot;
  /** What the link names: "ok" (the live slot), "missing", or the wrong slot. */
  link: "ok" | "missing" | Slot;
  /** Objects under the in-place prefix `<name>/`, which an atomic workspace does not have. */
  inPlace: string[];
  /** The layout the link and slots are in. */
  style: LayoutStyle;
  /** Missing markers of the directories above the slots (s3fs layout): keys. */
  markers: string[];
}

const plainMd5 = /^[0-9a-f]{32}$/;

/**
 * Compares what the store holds under the workspace prefix with the live manifest: every object
 * present, nothing else present, each with the manifest's content. Content is proven by the
 * server's MD5 ETag where the object has one (single-part uploads and copies), otherwise (multipart
 * ETags, stores without ETags, or `deep`) by reading the object and comparing its SHA-256.
 */
export async function verify(
  store: ObjectStore,
  layout: Layout,
  options: { deep: boolean; concurrency: number },
): Promise<VerifyResult> {
  const state = await readPointerState(store, layout);
  const slot = state.live?.pointer.slot ?? null;
  if (slot === null) return verifyTree(store, layout, state, options);
  // An atomic workspace: the live slot is verified as the workspace it is, then the link and the in-place prefix.
  // Its link and slots are of the layout it was published in, whatever this command was given.
  const styled = new Layout(layout.target, layout.workspace, styleOf(state.live));
  const slotLayout = styled.slot(slot);
  const result = await verifyTree(store, slotLayout, await readPointerState(store, slotLayout), options);
  if (result.commit !== state.live?.pointer.commit) {
    const reason = `the slot holds ${result.commit.slice(0, 12)}, not the live commit: republish with --force`;
    result.missing.push({ path: "(slot)", object: slotLayout.filesPrefix, reason });
  }
  const linked = await readLink(store, styled);
  const inPlace = await inPlaceObjects(store, layout);
  const link = linked === slot ? "ok" : (linked ?? "missing");
  const present = styled.style === "s3fs" ? await existingKeys(store, styled.slotMarkerKeys) : [];
  const markers = styled.style === "s3fs" ? styled.slotMarkerKeys.filter((k) => !present.includes(k)) : [];
  result.atomic = { slot, link, inPlace: inPlace.sort(), style: styled.style, markers };
  result.ok &&= link === "ok" && inPlace.length === 0 && markers.length === 0 && result.missing.length === 0;
  // A publish of the workspace that died is told by its pointer (the slot's tells of the slot's).
  const interrupted = state.seen?.pointer.journal?.commit;
  return { ...result, workspace: layout.workspace, interrupted: interrupted ?? result.interrupted };
}

async function verifyTree(
  store: ObjectStore,
  layout: Layout,
  { live, seen }: PointerState,
  options: { deep: boolean; concurrency: number },
): Promise<VerifyResult> {
  if (!live) throw usageError(messages.nothingPublished(layout.workspace, describeTarget(layout.target)));
  const result: VerifyResult = {
    workspace: layout.workspace,
    commit: live.pointer.commit,
    ...targetFields(layout.target),
    ok: false,
    checked: 0,
    missing: [],
    changed: [],
    unexpected: [],
    interrupted: seen?.pointer.journal?.commit ?? null,
  };
  const files = await readLiveFiles(store, layout, live, options.concurrency);
  if (!files) {
    result.missing.push({
      path: "(manifest)",
      object: live.pointer.manifest,
      reason: messages.manifestLost(live.pointer.commit),
    });
    return result;
  }
  const present = new Map<string, ObjectInfo>();
  for await (const o of store.list(layout.filesPrefix)) present.set(layout.nameOf(o.key), o);
  const toRead: { path: string; object: string; sha256: string }[] = [];
  // Named as the manifest's layout names them (a symlink's object; the s3fs layout's directory markers).
  const style = styleOf(live) ?? "rclone";
  if (style === "s3fs") {
    for (const marker of markersOf(Object.keys(files))) {
      result.checked++;
      if (!present.delete(marker)) result.missing.push({ path: marker, object: marker, reason: "directory marker" });
    }
  }
  for (const [path, entry] of Object.entries(files)) {
    const object = objectName(path, entry.mode, style);
    const info = present.get(object);
    present.delete(object);
    result.checked++;
    if (!info) {
      result.missing.push({ path, object, reason: "missing" });
    } else if (info.size !== entry.size) {
      result.changed.push({ path, object, reason: `size ${info.size}, expected ${entry.size}` });
    } else if (!options.deep && info.etag !== undefined && plainMd5.test(info.etag)) {
      const md5 = Buffer.from(entry.md5, "base64").toString("hex");
      if (info.etag !== md5) result.changed.push({ path, object, reason: `MD5 ${info.etag}, expected ${md5}` });
    } else {
      toRead.push({ path, object, sha256: entry.sha256 });
    }
  }
  await runBounded(toRead, options.concurrency, async ({ path, object, sha256 }) => {
    const hash = createHash("sha256");
    for await (const chunk of await store.read(layout.objectKey(object))) hash.update(chunk as Buffer);
    const actual = hash.digest("hex");
    if (actual !== sha256)
      result.changed.push({
        path,
        object,
        reason: `SHA-256 ${actual.slice(0, 16)}..., expected ${sha256.slice(0, 16)}...`,
      });
  });
  result.unexpected = [...present.keys()].sort();
  result.missing.sort((a, b) => (a.object < b.object ? -1 : 1));
  result.changed.sort((a, b) => (a.object < b.object ? -1 : 1));
  result.ok = result.missing.length === 0 && result.changed.length === 0 && result.unexpected.length === 0;
  return result;
}
