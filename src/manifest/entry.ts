import { createHash } from "node:crypto";
import type { GitMode } from "../git/parse.js";
import { checkRecord, type Fields, parseRecord } from "./record.js";

/** What the bucket holds for one path (an entry of a manifest shard). */
export interface ManifestEntry {
  /** git blob id */
  blob: string;
  sha256: string;
  /** base64 MD5 of the body, as in the `md5chksum` object metadata */
  md5: string;
  size: number;
  mode: GitMode;
  /** Unix seconds written as the object's `mtime` metadata. */
  mtime: number;
}

/**
 * One published commit's whole file list, in memory. wspub stores it as a sharded version 2
 * manifest (sharded.ts); version 1 stored it whole, and is still read.
 */
export interface Manifest {
  version: 1;
  workspace: string;
  commit: string;
  /** Committer time of `commit`, Unix seconds. */
  committedAt: number;
  /** Keyed by path relative to the workspace root (not by object name). */
  files: Record<string, ManifestEntry>;
}

const ENTRY_FIELDS: Fields = {
  blob: "string",
  sha256: "string",
  md5: "string",
  size: "count",
  mode: { oneOf: ["100644", "100755", "120000"] },
  mtime: "integer",
};
const V1_FIELDS: Fields = { version: { literal: 1 }, workspace: "string", commit: "string", committedAt: "integer" };

/** Parses and checks a version 1 manifest (one JSON object with every file), as wspub wrote before shards. */
export function parseManifest(text: string): Manifest {
  const manifest = parseRecord<Manifest>(text, V1_FIELDS, "the version 1 manifest");
  parseEntries(manifest.files);
  return manifest;
}

/** Checks a `files` object (path -> entry) as stored in a manifest or a manifest shard. */
export function parseEntries(files: unknown): Record<string, ManifestEntry> {
  if (typeof files !== "object" || files === null || Array.isArray(files)) {
    throw new Error("manifest files are not an object");
  }
  const record = files as Record<string, unknown>;
  for (const path in record) checkRecord(record[path], ENTRY_FIELDS, `manifest entry ${JSON.stringify(path)}`);
  return record as Record<string, ManifestEntry>;
}

/** Deterministic serialisation (sorted paths), so equal manifests have equal names and bytes. */
export function serializeManifest(manifest: Manifest): string {
  const files = fileRecord();
  for (const path of Object.keys(manifest.files).sort()) files[path] = manifest.files[path]!;
  // Compact: a 100k-file manifest is read and written on every publish.
  return `${JSON.stringify({ ...manifest, files })}\n`;
}

/** Short content digest used in the manifest's name: one commit published with other excludes gets another manifest. */
export function manifestDigest(serialized: string): string {
  return createHash("sha256").update(serialized).digest("hex").slice(0, 16);
}

/**
 * A path -> entry record without a prototype: a file may be named `__proto__` or `constructor`,
 * and on a plain object assigning the first sets the prototype while reading the second finds
 * Object's. Read entries with `entryOf`.
 */
export function fileRecord(from?: Readonly<Record<string, ManifestEntry>>): Record<string, ManifestEntry> {
  const record = Object.create(null) as Record<string, ManifestEntry>;
  return from === undefined ? record : Object.assign(record, from);
}

/** The entry of `path` in a manifest record (own properties only), or undefined. */
export function entryOf(files: Readonly<Record<string, ManifestEntry>>, path: string): ManifestEntry | undefined {
  return Object.hasOwn(files, path) ? files[path] : undefined;
}

/** st_mode for the `mode` metadata that s3fs reads: S_IFREG|0644, S_IFREG|0755, S_IFLNK|0777. */
export function statMode(mode: GitMode): number {
  switch (mode) {
    case "100755":
      return 0o100755;
    case "120000":
      return 0o120777;
    default:
      return 0o100644;
  }
}

/** The sum of the sizes in a path -> entry record. */
export function totalBytes(files: Readonly<Record<string, ManifestEntry>>): number {
  let bytes = 0;
  for (const path in files) bytes += files[path]!.size;
  return bytes;
}
