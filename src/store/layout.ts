import { usageError } from "../errors.js";
import type { GitMode } from "../git/parse.js";
import { MAX_KEY_BYTES } from "../limits.js";
import type { Target } from "./target.js";

/** rclone's convention for symlinks on object stores: `rclone mount --links` shows `x.rclonelink` as symlink `x`. */
export const LINK_SUFFIX = ".rclonelink";

/** Where wspub keeps its records, beside the workspaces. */
const META_DIR = ".wspub";
/** Where the trees of atomic workspaces are (not under `.wspub/`, which the mounts leave out). */
const SLOTS_DIR = ".wspub-slots";

/**
 * How objects are laid out for the mount that reads them: `rclone` (symlinks as `<path>.rclonelink`,
 * no directory objects) or `s3fs` (symlinks as objects at their path with a symlink mode, and an
 * empty `dir/` marker object for every directory, which carries the directory's permissions).
 */
export type LayoutStyle = "rclone" | "s3fs";
export const LAYOUT_STYLES: readonly LayoutStyle[] = ["rclone", "s3fs"];

/** The two trees of an atomic workspace: the one its link names, and the one the next publish writes. */
export type Slot = "a" | "b";
export const otherSlot = (slot: Slot): Slot => (slot === "a" ? "b" : "a");

/**
 * Every key wspub reads or writes in a store, and nothing else spells one. The layout is a
 * contract with the mount and the monitor (README, "Bucket layout"):
 *   <prefix>/<name>/<path>                 the files (symlinks as <path>.rclonelink)
 *   <prefix>/.wspub/<name>/live.json       the pointer to the live commit
 *   <prefix>/.wspub/<name>/manifests/<commit>-<digest>.json   one immutable manifest root per publish
 *   <prefix>/.wspub/<name>/manifests/shards/<digest>.json     content-addressed manifest shards
 *   <prefix>/.wspub/<name>/lock.json       the publish lock (a lease)
 *   <prefix>/.wspub/<name>/journal.json    the writes of a publish in progress
 *   <prefix>/.wspub/<name>/capabilities.json   the server's verdict on conditional writes
 * An atomic workspace (--atomic) has its files in two slots, each kept as a workspace of its own,
 * and a link that names the live one (README, "An atomic view"):
 *   <prefix>/<name>.rclonelink             the link: its body is `.wspub-slots/<name>/<slot>`
 *   <prefix>/.wspub-slots/<name>/<slot>/<path>        the files of slot a or b
 *   <prefix>/.wspub/<name>/slots/<slot>/...           the slot's records (live.json, manifests, ...)
 */
export class Layout {
  /** `<prefix>/<name>/`: every object of the workspace, and nothing of another one (`app/` vs `apple/`). */
  readonly filesPrefix: string;
  /** `<prefix>/.wspub/<name>/`: the workspace's records. */
  readonly metaPrefix: string;

  constructor(
    readonly target: Target,
    readonly workspace: string,
    readonly style: LayoutStyle = "rclone",
    /** Set on the layout of one slot of an atomic workspace (see `slot`). */
    readonly slotName?: Slot,
  ) {
    const root = rootOf(target.prefix);
    this.filesPrefix = slotName ? `${root}${SLOTS_DIR}/${workspace}/${slotName}/` : `${root}${workspace}/`;
    this.metaPrefix = `${root}${META_DIR}/${workspace}/${slotName ? `slots/${slotName}/` : ""}`;
  }

  /** One slot of the atomic workspace: its files and records, published as a workspace of its own. */
  slot(slot: Slot): Layout {
    return new Layout(this.target, this.workspace, this.style, slot);
  }
  /**
   * The link of an atomic workspace, which a mount shows as `<name>`: `<prefix>/<name>.rclonelink`,
   * or in the s3fs layout `<prefix>/<name>` (a symlink object at its path).
   */
  get linkKey(): string {
    return `${rootOf(this.target.prefix)}${this.workspace}${this.style === "s3fs" ? "" : LINK_SUFFIX}`;
  }
  /** The link's key in either layout (a workspace that leaves atomic mode removes both). */
  get linkKeys(): string[] {
    return LAYOUT_STYLES.map((style) => new Layout(this.target, this.workspace, style).linkKey);
  }
  /** The directories above the slots' trees (`.wspub-slots/` and `.wspub-slots/<name>/`): their s3fs markers. */
  get slotMarkerKeys(): string[] {
    const root = rootOf(this.target.prefix);
    return [`${root}${SLOTS_DIR}/`, `${root}${SLOTS_DIR}/${this.workspace}/`];
  }
  /** The link's body for `slot`: relative to the link's directory, so it resolves inside any mount of it. */
  linkBody(slot: Slot): string {
    return `${SLOTS_DIR}/${this.workspace}/${slot}`;
  }
  /** The slot a link's body names, or undefined when it names none of this workspace's. */
  slotOfLink(body: string): Slot | undefined {
    return (["a", "b"] as const).find((s) => body === this.linkBody(s));
  }
  /** Every object of both slots' files, and every record of both (removed when the workspace leaves atomic mode). */
  get slotPrefixes(): [string, string] {
    const root = rootOf(this.target.prefix);
    return [`${root}${SLOTS_DIR}/${this.workspace}/`, `${root}${META_DIR}/${this.workspace}/slots/`];
  }

  /** The workspace as outputs show it: `s3://bucket/prefix/<name>/`, or `<dir>/<name>/`. */
  get location(): string {
    return `${this.target.url.replace(/\/$/, "")}/${this.workspace}/`;
  }

  objectKey(name: string): string {
    return `${this.filesPrefix}${name}`;
  }
  /** The object name (relative to the workspace prefix) that holds `path` in this layout's style. */
  objectName(path: string, mode: GitMode): string {
    return objectName(path, mode, this.style);
  }
  /** The object name under the workspace prefix for a listed key. */
  nameOf(key: string): string {
    return key.slice(this.filesPrefix.length);
  }
  get pointerKey(): string {
    return `${this.metaPrefix}live.json`;
  }
  manifestKey(commit: string, digest: string): string {
    return `${this.metaPrefix}manifests/${commit}-${digest}.json`;
  }
  shardKey(digest: string): string {
    return `${this.metaPrefix}manifests/shards/${digest}.json`;
  }
  get lockKey(): string {
    return `${this.metaPrefix}lock.json`;
  }
  get journalKey(): string {
    return `${this.metaPrefix}journal.json`;
  }
  get capabilitiesKey(): string {
    return `${this.metaPrefix}capabilities.json`;
  }
  /** A scratch object of the conditional-write probe. */
  probeKey(id: string): string {
    return `${this.metaPrefix}probe-${id}.json`;
  }
}

/** The prefix whose "directories" are the published workspaces' record folders (`wspub ls` lists it). */
export function workspacesMetaRoot(target: Target): string {
  return `${rootOf(target.prefix)}${META_DIR}/`;
}

const rootOf = (prefix: string) => (prefix === "" ? "" : `${prefix}/`);

/** The object name (relative to the workspace prefix) that holds `path`. */
export function objectName(path: string, mode: GitMode, style: LayoutStyle = "rclone"): string {
  return mode === "120000" && style === "rclone" ? `${path}${LINK_SUFFIX}` : path;
}

/**
 * The path whose object name would collide with `path`'s (a symlink `x` and a file `x.rclonelink`),
 * if any; none in the s3fs style, where every path is its own object name.
 */
export function objectNameTwin(path: string, mode: GitMode, style: LayoutStyle = "rclone"): string | undefined {
  if (style === "s3fs") return undefined;
  if (mode === "120000") return `${path}${LINK_SUFFIX}`;
  return path.endsWith(LINK_SUFFIX) ? path.slice(0, -LINK_SUFFIX.length) : undefined;
}

/**
 * The directory markers of an s3fs layout for these paths: `""` (the workspace's own directory,
 * `<prefix>/<name>/`) and `d/` for every directory that holds one of them.
 */
export function markersOf(paths: Iterable<string>): Set<string> {
  const markers = new Set<string>([""]);
  for (const path of paths) {
    for (let i = path.lastIndexOf("/"); i > 0; i = path.lastIndexOf("/", i - 1)) {
      const marker = `${path.slice(0, i)}/`;
      if (markers.has(marker)) break;
      markers.add(marker);
    }
  }
  return markers;
}

/** Whether an object name is a directory marker (s3fs layout). */
export const isMarker = (name: string) => name === "" || name.endsWith("/");

/** Workspace names are one path segment, safe as a key prefix: no `/`, no `..`, no leading dot. */
export function validateWorkspaceName(name: string): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(name) || name.length > 200 || name.endsWith(LINK_SUFFIX)) {
    throw usageError(
      `invalid workspace name ${JSON.stringify(name)}: use letters, digits, '.', '_' and '-', not starting with ` +
        `'.' or '-' nor ending in ${LINK_SUFFIX} (set a name for this directory under "workspaces" in ` +
        `wspub.config.json)`,
    );
  }
  return name;
}

export function keyTooLong(key: string): boolean {
  return Buffer.byteLength(key, "utf8") > MAX_KEY_BYTES;
}
