import type { PublishFile } from "../filter/publish-set.js";
import { entryOf, type ManifestEntry } from "../manifest/entry.js";
import type { GitMode } from "../git/parse.js";
import { type LayoutStyle, objectName as objectNameIn } from "../store/layout.js";

export interface PutAction {
  file: PublishFile;
  object: string;
}
export interface CopyAction {
  file: PublishFile;
  object: string;
  /** Object name (relative to the workspace prefix) that already holds the same content. */
  from: string;
}
export interface KeepAction {
  file: PublishFile;
  object: string;
  entry: ManifestEntry;
}
export interface Plan {
  put: PutAction[];
  /** Server-side copies; run after the puts, since a copy may read an object a put just wrote. */
  copy: CopyAction[];
  keep: KeepAction[];
  /** Object names to delete, after the pointer has moved. */
  delete: string[];
  /** Paths of the put and copy actions that the live manifest does not have (new files: new directories). */
  added: string[];
}

/**
 * The pure heart of a publish: the publish set against the live manifest (and, on a first
 * publish, the objects already under the prefix) gives what to upload, what to copy inside the
 * bucket, what to leave alone and what to delete. No I/O.
 *
 * - same path, same blob, same mode: keep (not touched, keeps its mtime);
 * - content already in the bucket under a live object that this publish does not overwrite
 *   (rename, revert, mode change, duplicate): server-side copy with the new metadata;
 * - content new to the bucket: put once; other paths with the same new content copy from it;
 * - live or stray objects that the new set does not name: delete.
 */
export function planPublish(
  desired: readonly PublishFile[],
  live: Readonly<Record<string, ManifestEntry>>,
  strays: readonly string[] = [],
  /** Objects whose content is unknown (an interrupted publish wrote them): never kept, never copied from. */
  dirty: ReadonlySet<string> = new Set(),
  /** How the mount names objects (store/layout.ts): a symlink's object differs. */
  style: LayoutStyle = "rclone",
): Plan {
  const objectName = (path: string, mode: GitMode) => objectNameIn(path, mode, style);
  const plan: Plan = { put: [], copy: [], keep: [], delete: [], added: [] };
  // A live object can serve as a copy source only if this publish does not overwrite it with other
  // content: copies run after the puts and in any order (think of two files swapping contents).
  const nextBlob = new Map<string, string>();
  for (const file of desired) nextBlob.set(objectName(file.path, file.mode), file.oid);
  const holder = new Map<string, string>(); // blob id -> an object name that has (or will have) it
  for (const [path, entry] of Object.entries(live)) {
    const object = objectName(path, entry.mode);
    const next = nextBlob.get(object);
    if (dirty.has(object)) continue;
    if ((next === undefined || next === entry.blob) && !holder.has(entry.blob)) holder.set(entry.blob, object);
  }
  const wanted = new Set<string>();
  for (const file of desired) {
    const object = objectName(file.path, file.mode);
    wanted.add(object);
    const current = entryOf(live, file.path);
    if (current && current.blob === file.oid && current.mode === file.mode && !dirty.has(object)) {
      plan.keep.push({ file, object, entry: current });
      continue;
    }
    if (current === undefined) plan.added.push(file.path);
    const from = holder.get(file.oid);
    if (from !== undefined) {
      plan.copy.push({ file, object, from });
    } else {
      plan.put.push({ file, object });
      holder.set(file.oid, object);
    }
  }
  const gone = new Set<string>();
  for (const [path, entry] of Object.entries(live)) gone.add(objectName(path, entry.mode));
  for (const stray of strays) gone.add(stray);
  plan.delete = [...gone].filter((o) => !wanted.has(o)).sort();
  return plan;
}
