import { JOURNAL_FIELDS, type Journal } from "./journal.js";
import { LOCK_FIELDS, type LockRecord } from "./lock-record.js";
import { checkRecord, type Fields, parseRecord } from "./record.js";
import { type ManifestRoot, ROOT_FIELDS } from "./sharded.js";

/**
 * `<prefix>/.wspub/<name>/live.json`: the one record a publish reads and swaps. It names the live
 * commit and its manifest, and carries what the next publish needs so that one read tells it
 * everything: the manifest's root (also stored under `manifest`), whether the server was found to
 * honour conditional writes, the publish lock while a publish holds it, and that publish's journal
 * (left behind if it died). Every change to it is a compare-and-swap on its ETag, so taking the
 * lock also proves nobody moved the live commit since it was read.
 */
export interface Pointer {
  version: 2;
  workspace: string;
  /** The live commit; null while the workspace's first publish is under way (the pointer then holds its lock). */
  commit: string | null;
  /** Object key of the manifest root, relative to the store root. */
  manifest: string | null;
  previous: string | null;
  publishedAt: string | null;
  publishedBy: string | null;
  files: number;
  bytes: number;
  root: ManifestRoot | null;
  /** When a publisher found that the server honours If-None-Match and If-Match (lock/conditional-writes.ts). */
  conditionalWrites: string | null;
  lock: LockRecord | null;
  journal: Journal | null;
  /**
   * Set when the workspace is atomic (--atomic): the slot whose tree is live, which its link names.
   * The manifest is then that slot's. Absent in the pointers of versions before it (read as null).
   */
  slot?: "a" | "b" | null;
  /**
   * Set when the workspace is a preview (`push --preview`): the workspace it previews and the
   * branch it publishes. Absent or null for any other workspace.
   */
  preview?: PreviewOf | null;
}

/** What a preview workspace previews: the workspace's name and the branch (a pull request's: its head branch). */
export interface PreviewOf {
  of: string;
  branch: string;
  /** The pull request whose head it publishes (the Action: `<name>--pr-<N>`), when it is one. */
  pullRequest?: number;
}

/** Whether two previews are the same one: the same workspace, and the same pull request or else branch. */
export function samePreview(a: PreviewOf | null | undefined, b: PreviewOf | null | undefined): boolean {
  if (!a || !b) return !a && !b;
  if (a.of !== b.of || a.pullRequest !== b.pullRequest) return false;
  return a.pullRequest !== undefined || a.branch === b.branch;
}

/** The pointer as read, with its ETag (the compare-and-swap of the next change expects it). */
export interface Seen {
  pointer: Pointer;
  etag: string;
}

/** The pointer of a wspub from before version 2: no root, lock or journal inside (they were objects of their own). */
export interface LegacyPointer {
  version: 1;
  workspace: string;
  commit: string;
  manifest: string;
  previous: string | null;
  publishedAt: string;
  publishedBy: string;
  files: number;
  bytes: number;
}

const COMMON: Fields = { workspace: "string", previous: "string|null", files: "count", bytes: "count" };
const V1_FIELDS: Fields = {
  ...COMMON,
  version: { literal: 1 },
  commit: "string",
  manifest: "string",
  publishedAt: "string",
  publishedBy: "string",
};
const orNull = (kind: Fields[string]) => ({ anyOf: [kind, "null"] }) as const;
const V2_FIELDS: Fields = {
  ...COMMON,
  version: { literal: 2 },
  commit: "string|null",
  manifest: "string|null",
  publishedAt: "string|null",
  publishedBy: "string|null",
  root: orNull({ fields: ROOT_FIELDS }),
  conditionalWrites: "string|null",
  lock: orNull({ fields: LOCK_FIELDS }),
  journal: orNull({ fields: JOURNAL_FIELDS }),
  slot: orNull({ oneOf: ["a", "b"] }),
  preview: {
    anyOf: [
      "absent",
      "null",
      { fields: { of: "string", branch: "string", pullRequest: { anyOf: ["absent", "count"] } } },
    ],
  },
};

/** A version 2 pointer, or a version 1 pointer converted (`legacy`: its root, lock and journal are elsewhere). */
export function parsePointer(text: string): { pointer: Pointer; legacy: boolean } {
  const value = JSON.parse(text) as { version?: unknown };
  if (value?.version === 1) {
    const old = parseRecord<LegacyPointer>(text, V1_FIELDS, "the pointer");
    const pointer: Pointer = {
      ...old,
      version: 2,
      root: null,
      conditionalWrites: null,
      lock: null,
      journal: null,
      slot: null,
    };
    return { pointer, legacy: true };
  }
  // A pointer written before atomic workspaces has no slot: it is in place.
  const withSlot = { slot: null, ...(value as object) };
  return { pointer: checkRecord<Pointer>(withSlot, V2_FIELDS, "the pointer"), legacy: false };
}

/** A pointer with nothing live yet (a first publish takes the lock with it). */
export function emptyPointer(workspace: string): Pointer {
  return {
    version: 2,
    workspace,
    commit: null,
    manifest: null,
    previous: null,
    publishedAt: null,
    publishedBy: null,
    files: 0,
    bytes: 0,
    root: null,
    conditionalWrites: null,
    lock: null,
    journal: null,
    slot: null,
  };
}

export function serializePointer(pointer: Pointer): Buffer {
  const { version, workspace, commit, manifest, previous, publishedAt, publishedBy, files, bytes } = pointer;
  const { conditionalWrites, lock, journal, root } = pointer;
  const slot = pointer.slot ?? null;
  // Only a preview's pointer says what it previews.
  const preview = pointer.preview ? { preview: pointer.preview } : {};
  // Fixed key order; the small fields first, so that a person reading it sees them at once.
  const ordered = {
    version,
    workspace,
    commit,
    manifest,
    previous,
    publishedAt,
    publishedBy,
    files,
    bytes,
    slot,
    ...preview,
  };
  return Buffer.from(`${JSON.stringify({ ...ordered, conditionalWrites, lock, journal, root }, null, 2)}\n`);
}
