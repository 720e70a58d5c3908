import { createHash } from "node:crypto";
import type { ManifestEntry } from "../manifest/entry.js";
import type { Plan } from "../plan/plan.js";
import { runBounded } from "../queue.js";
import { isMarker, type LayoutStyle, markersOf, objectName } from "../store/layout.js";
import type { ObjectStore } from "../store/port.js";
import type { Publishing } from "./request.js";

/**
 * The directory markers of the s3fs layout: an empty object `d/` for every directory that holds a
 * published file, and `""` for the workspace's own (`<prefix>/<name>/`). s3fs shows a directory
 * without one as mode 0750, which a monitor running as another user cannot enter; the marker
 * carries 0755. Markers are not in the manifest: they follow from its paths, so a full comparison
 * knows them exactly, and an incremental publish writes those of the directories its new files
 * are in and, after its deletes, removes those of the directories that emptied.
 */
export interface MarkerChanges {
  /** Markers written with the files. */
  put: string[];
  /** Directories that may have emptied: once the deletes are done, their markers go if no file is left under them. */
  check: string[];
}

const NO_MARKERS: MarkerChanges = { put: [], check: [] };

/** What the live manifest holds, for a full comparison: its entries and the layout they were published in. */
interface LiveLayout {
  files: Readonly<Record<string, ManifestEntry>> | undefined;
  style: LayoutStyle;
}

/**
 * The live entries a full comparison plans against, and the objects to delete besides its plan's:
 * when the layout changes, symlinks are named otherwise (`x.rclonelink` or `x`), so the live ones
 * are not comparable (they are deleted and written again), and the markers of the s3fs layout go
 * or come.
 */
export function comparableLive(
  live: LiveLayout,
  style: LayoutStyle,
): {
  files: Record<string, ManifestEntry>;
  strays: string[];
} {
  const files = { ...(live.files ?? {}) };
  if (live.style === style) return { files, strays: [] };
  const strays: string[] = [];
  for (const [path, entry] of Object.entries(files)) {
    if (entry.mode !== "120000") continue;
    strays.push(objectName(path, entry.mode, live.style));
    delete files[path];
  }
  return { files, strays };
}

/** Full comparison: the markers to write; the ones to delete join the plan's deletes (journaled). */
export function fullMarkers(
  style: LayoutStyle,
  plan: Plan,
  desired: Iterable<string>,
  live: LiveLayout,
): MarkerChanges {
  const had = live.style === "s3fs" && live.files ? markersOf(Object.keys(live.files)) : new Set<string>();
  if (style !== "s3fs") {
    plan.delete.push(...had);
    return NO_MARKERS;
  }
  const want = markersOf(desired);
  // Markers a listing found (a first publish over objects no manifest accounts for) stay if wanted.
  plan.delete = plan.delete.filter((name) => !(isMarker(name) && want.has(name)));
  plan.delete.push(...[...had].filter((m) => !want.has(m)));
  return { put: [...want].filter((m) => !had.has(m)), check: [] };
}

/** Incremental: markers for the directories of new files; the directories of deleted files to check. */
export function incrementalMarkers(style: LayoutStyle, plan: Plan): MarkerChanges {
  if (style !== "s3fs") return NO_MARKERS;
  const put = [...markersOf(plan.added)].filter((m) => m !== "");
  const kept = new Set(put);
  const check = [...markersOf(plan.delete)].filter((m) => m !== "" && !kept.has(m));
  return { put, check };
}

const EMPTY_MD5 = createHash("md5").update("").digest("base64");
/** 040755: a directory others may list and enter (s3fs reads x-amz-meta-mode). */
const MARKER_MODE = "16877";

/** Writes a publish's markers, with its commit's time as their mtime. */
export function putMarkers(p: Publishing, names: readonly string[], hold: () => void): Promise<void> {
  const { store, layout, concurrency } = p.req;
  const keys = names.map((name) => layout.objectKey(name));
  return writeMarkerKeys({ store, concurrency, hold }, keys, p.commit.committerTime);
}

/**
 * Writes markers by key, a directory's before those below it (one round per depth). A server that
 * keeps directories of its own (SeaweedFS) lists a `dir/` object only if it was written before
 * anything below it: written side by side with a child, it was lost about once in 40 tries.
 */
export async function writeMarkerKeys(
  o: { store: ObjectStore; concurrency: number; hold: () => void },
  keys: readonly string[],
  mtime: number,
): Promise<void> {
  const metadata = { mode: MARKER_MODE, mtime: String(mtime), md5chksum: EMPTY_MD5 };
  const options = { size: 0, md5: EMPTY_MD5, contentType: "application/x-directory", metadata };
  const depth = (key: string) => key.split("/").length;
  const levels = [...new Set(keys.map(depth))].sort((a, b) => a - b);
  for (const level of levels) {
    await runBounded(
      keys.filter((k) => depth(k) === level),
      o.concurrency,
      async (key) => {
        o.hold();
        await o.store.put(key, Buffer.alloc(0), options);
      },
    );
  }
}

/**
 * After the deletes: removes the markers of the directories under which no file is left. Deepest
 * first, one round per depth: a directory that still holds a file answers for every directory
 * above it (the usual case, a file deleted beside others, costs one listing, not one per ancestor).
 */
export async function removeEmptied(p: Publishing, dirs: readonly string[], hold: () => void): Promise<void> {
  const { store, layout, concurrency } = p.req;
  const depth = (dir: string) => dir.split("/").length;
  const holding = new Set<string>(); // directories known to hold a file
  const levels = [...new Set(dirs.map(depth))].sort((a, b) => b - a);
  for (const level of levels) {
    const todo = dirs.filter((d) => depth(d) === level && !holding.has(d));
    await runBounded(todo, concurrency, async (dir) => {
      const markers: string[] = [];
      for await (const o of store.list(layout.objectKey(dir))) {
        const name = layout.nameOf(o.key);
        if (!isMarker(name)) {
          // `a/b/c/` holds a file: so do `a/b/` and `a/`.
          for (let i = dir.lastIndexOf("/", dir.length - 2); i >= 0; i = dir.lastIndexOf("/", i - 1)) {
            holding.add(dir.slice(0, i + 1));
          }
          return;
        }
        markers.push(o.key);
      }
      hold();
      if (markers.length > 0) await store.deleteMany(markers);
    });
  }
}
