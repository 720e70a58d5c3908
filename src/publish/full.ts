import { usageError } from "../errors.js";
import { checkNames, checkSymlinks } from "../filter/checks.js";
import { buildPublishSet } from "../filter/publish-set.js";
import type { ManifestEntry } from "../manifest/entry.js";
import type { Journal } from "../manifest/journal.js";
import { type LiveState, readLiveFiles, styleOf, UnreadableLiveError } from "../manifest/live.js";
import { bitsOf, buildShards, chooseBits, type IgnoreSource } from "../manifest/sharded.js";
import { messages } from "../messages.js";
import { type Plan, planPublish } from "../plan/plan.js";
import { comparableLive, fullMarkers } from "./markers.js";
import { digestsOf, notices, type Proposal, rootOf } from "./proposal.js";
import type { Publishing } from "./request.js";
import { resumePlan } from "./resume.js";
import { reportReplaced } from "./state.js";
import type { ObjectInfo } from "../store/port.js";
import { isMarker, type LayoutStyle, objectName } from "../store/layout.js";

/**
 * The whole publish set against the whole live manifest (and, where no manifest accounts for the
 * objects, a listing of the prefix): a first publish, a filter that changed, an interrupted
 * publish, or a live commit this clone does not have.
 */
export async function fullProposal(
  p: Publishing,
  live: LiveState | undefined,
  journal: Journal | undefined,
): Promise<Proposal> {
  const { req, commit } = p;
  const { git, layout } = req;
  const set = await buildPublishSet(git, commit.oid, req.dir, req.excludes, req.lfs);
  if (set.files.length === 0) throw usageError(messages.emptyPublishSet(req.dir, commit.oid, set.excluded.length));
  checkNames(set.files, layout);
  await checkSymlinks(git, set.files);

  const liveFiles = await readAllLive(p, live);
  // Objects no manifest accounts for: on a first publish (or with the manifest lost), everything
  // under the prefix; after an interrupted publish, whatever its journal names ("all": a listing).
  const listing = !liveFiles || journal?.writes === "all" || journal?.deletes === "all";
  const listed = listing ? await listObjects(p) : new Map<string, ObjectInfo>();
  const strays = new Set<string>(liveFiles ? [] : listed.keys());
  const named = (names: string[] | "all" | undefined) => (names === "all" ? [...listed.keys()] : (names ?? []));
  for (const name of [...named(journal?.writes), ...named(journal?.deletes)]) strays.add(name);
  // The objects an interrupted publish may have written hold unknown content, unless it published
  // this same commit over this same live manifest: then it wrote only what this one plans to write.
  const dirty = journal && journal.commit !== commit.oid ? new Set(named(journal.writes)) : new Set<string>();
  const digests = digestsOf(Object.values(liveFiles ?? {}));
  const liveRoot = live?.stored?.version === 2 ? live.stored.root : undefined;
  // A live manifest of the other layout: its symlinks are other objects, its markers come or go.
  const liveLayout = { files: liveFiles, style: styleOf(live) ?? "rclone" };
  const comparable = comparableLive(liveLayout, layout.style);
  let plan = planPublish(set.files, comparable.files, [...strays, ...comparable.strays], dirty, layout.style);
  if (journal && listing) plan = await resumePlan(p, plan, listed, journal, digests, comparable.files);
  const markers = fullMarkers(
    layout.style,
    plan,
    set.files.map((f) => f.path),
    liveLayout,
  );

  const files = set.files.length;
  const excluded = set.excluded.length - set.submodules.length;
  return {
    plan,
    guard: guardCounts(plan, liveFiles && comparable.files, listed, layout.style),
    digests,
    files,
    excluded,
    submodules: set.submodules,
    incremental: false,
    // What the live manifest holds was scanned under these rules only if it was filtered as this one is.
    rescan: !(liveFiles && liveRoot?.filter === p.filter && sameSources(liveRoot.ignore, set.ignore)),
    notices: notices(set.submodules, set.excluded, set.unreadableLfs),
    markers,
    // Every shard of the live root was read, or none counts as present.
    present: new Set(liveFiles && liveRoot ? liveRoot.shards : []),
    manifest: async (written) => {
      const entry = (a: Plan["put"][number] | Plan["keep"][number]) => ("entry" in a ? a.entry : written(a.file));
      const actions = [plan.put, plan.copy, plan.keep].flat();
      const bits = chooseBits(files, liveRoot && bitsOf(liveRoot));
      const { digests, texts, bytes } = buildShards(actions, { path: (a) => a.file.path, entry }, bits);
      return { root: rootOf(p, { files, bytes, excluded }, set.ignore, digests, set.attributes), texts };
    },
  };
}

const sameSources = (a: readonly IgnoreSource[], b: readonly IgnoreSource[]) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The delete guard's numbers: with a live manifest, the deletes of its objects against its size;
 * without one (a first publish over objects already there), the deletes against what is listed.
 * s3fs markers (`dir/`) are not files.
 */
function guardCounts(
  plan: Plan,
  live: Readonly<Record<string, ManifestEntry>> | undefined,
  listed: ReadonlyMap<string, ObjectInfo>,
  style: LayoutStyle,
): { deletes: number; live: number } {
  const isFile = (name: string) => !isMarker(name);
  if (live === undefined) {
    return { deletes: plan.delete.filter(isFile).length, live: [...listed.keys()].filter(isFile).length };
  }
  const objects = new Set(Object.entries(live).map(([path, e]) => objectName(path, e.mode, style)));
  return { deletes: plan.delete.filter((n) => objects.has(n)).length, live: objects.size };
}

/** The objects under the workspace's prefix, by object name. */
async function listObjects(p: Publishing): Promise<Map<string, ObjectInfo>> {
  const { store, layout } = p.req;
  const listed = new Map<string, ObjectInfo>();
  for await (const o of store.list(layout.filesPrefix)) listed.set(layout.nameOf(o.key), o);
  return listed;
}

/**
 * Every entry of the live manifest; undefined when there is none, or (reported) it or a shard is gone
 * or unreadable.
 */
async function readAllLive(
  p: Publishing,
  live: LiveState | undefined,
): Promise<Record<string, ManifestEntry> | undefined> {
  const { req } = p;
  if (!live) return undefined;
  try {
    const files = await readLiveFiles(req.store, req.layout, live, req.concurrency);
    if (!files) {
      const missing = `the live manifest ${live.pointer.manifest} (or a shard of it) is missing: publishing in full`;
      req.reporter.event({ type: "warning", message: missing });
    }
    return files;
  } catch (e) {
    // A corrupt manifest or shard: --force replaces it (the pointer's ETag is known).
    if (!(req.force && e instanceof UnreadableLiveError)) throw e;
    reportReplaced(req.reporter, e);
    return undefined;
  }
}
