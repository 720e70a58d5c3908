import { createHash } from "node:crypto";
import { fileRecord, parseEntries, parseManifest, type Manifest, type ManifestEntry, totalBytes } from "./entry.js";
import type { AttributeSource } from "../git/attributes.js";
import { checkRecord, type Fields, parseRecord } from "./record.js";

/**
 * Version 2 manifests: a small root that names content-addressed shards, so that a publish that
 * changes one file reads and writes one shard (about 250 entries, ~60 KB) instead of the whole
 * file list (24 MB at 100k files).
 *
 *   <meta>/manifests/<commit>-<digest>.json      the root (immutable, one per publish)
 *   <meta>/manifests/shards/<digest>.json        a shard: the entries whose path hashes to it
 *
 * A path belongs to shard `fnv1a32(path) >>> (32 - bits)` (FNV-1a over the UTF-16 code units,
 * `bits` = log2 of the shard count; shard 0 when bits = 0). A shard is named by the SHA-256 of its
 * bytes, so an unchanged shard is shared by every root that has it and never written twice.
 */
export interface ManifestRoot {
  version: 2;
  workspace: string;
  commit: string;
  /** Committer time of `commit`, Unix seconds. */
  committedAt: number;
  /** Number of files and their total bytes. */
  files: number;
  bytes: number;
  /** Tracked files the filter left out (gitlinks not counted). */
  excluded: number;
  /** Digest of everything besides the commit that decides the publish set (see filterDigest). */
  filter: string;
  /** The ignore files the publish set was filtered with, in the order their rules apply. */
  ignore: IgnoreSource[];
  /** Shard digests; the length is a power of two. */
  shards: string[];
  /** How the objects are laid out (store/layout.ts): "s3fs", or absent for "rclone". */
  layout?: "s3fs";
  /**
   * The `.gitattributes` files that decided which files are Git LFS files (filter/lfs.ts); absent
   * when there were none.
   */
  attributes?: AttributeSource[];
}

export interface IgnoreSource {
  /** Repository-relative path. */
  path: string;
  blob: string;
  kind: "gitignore" | "dockerignore" | "wspubignore";
}

/** Entries per shard that a fresh layout aims at, and the bounds within which a layout is kept. */
export const SHARD_TARGET = 256;
const SHARD_MIN = 64;
const SHARD_MAX = 512;
const MAX_BITS = 12;

export function shardIndex(path: string, bits: number): number {
  if (bits === 0) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < path.length; i++) {
    h ^= path.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) >>> (32 - bits);
}

/** The shard bits for `count` files: keeps `current` while it stays within bounds, so shards are reused. */
export function chooseBits(count: number, current?: number): number {
  if (current !== undefined && fits(count, current)) return current;
  let bits = 0;
  while (bits < MAX_BITS && count > SHARD_TARGET * 2 ** bits) bits++;
  return bits;
}

/** Whether `count` files are within the bounds for `bits` (per shard between SHARD_MIN and SHARD_MAX). */
export function fits(count: number, bits: number): boolean {
  const per = count / 2 ** bits;
  return (per <= SHARD_MAX || bits === MAX_BITS) && (per >= SHARD_MIN || bits === 0);
}

export function bitsOf(root: ManifestRoot): number {
  return Math.log2(root.shards.length);
}

/** Deterministic shard bytes (sorted paths); equal shards have equal names. */
export function serializeShard(files: Readonly<Record<string, ManifestEntry>>): string {
  const sorted = fileRecord();
  for (const path of Object.keys(files).sort()) sorted[path] = files[path]!;
  return `${JSON.stringify({ version: 2, files: sorted })}\n`;
}

export function parseShard(text: string): Record<string, ManifestEntry> {
  return parseEntries(parseRecord<{ files: unknown }>(text, SHARD_FIELDS, "the manifest shard").files);
}

export function shardDigest(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 32);
}

/**
 * The shards of a manifest by digest, each with a way to make its bytes. A whole layout makes a
 * shard's text when it is written and lets it go (a 100k-file list is ~24 MB of text).
 */
export type ShardTexts = Map<string, () => string>;

/**
 * Lays a whole file list out in shards without holding it: `items` are grouped by the shard of
 * their path, then each shard's entries are made (`of.entry`), serialised to be named, and let go;
 * its text is made again when it is written. At 100k files the list and its text would be 30-40
 * MiB at once.
 */
export function buildShards<T>(
  items: Iterable<T>,
  of: { path: (item: T) => string; entry: (item: T) => ManifestEntry },
  bits: number,
): { digests: string[]; texts: ShardTexts; bytes: number } {
  const groups = Array.from({ length: 2 ** bits }, (): T[] => []);
  for (const item of items) groups[shardIndex(of.path(item), bits)]!.push(item);
  const shardOf = (group: readonly T[]) => {
    const files = fileRecord();
    for (const item of group) files[of.path(item)] = of.entry(item);
    return files;
  };
  const texts: ShardTexts = new Map();
  let bytes = 0;
  const digests = groups.map((group) => {
    const files = shardOf(group);
    bytes += totalBytes(files);
    const digest = shardDigest(serializeShard(files));
    texts.set(digest, () => serializeShard(shardOf(group)));
    return digest;
  });
  return { digests, texts, bytes };
}

/** How buildShards reads `[path, entry]` pairs. */
export const ENTRY_PAIRS = {
  path: ([path]: readonly [string, ManifestEntry]) => path,
  entry: ([, entry]: readonly [string, ManifestEntry]) => entry,
};

/** Serialises a shard into `texts` (digest -> bytes) and returns its digest. */
export function addShard(texts: ShardTexts, files: Readonly<Record<string, ManifestEntry>>): string {
  const text = serializeShard(files);
  const digest = shardDigest(text);
  texts.set(digest, () => text);
  return digest;
}

export function serializeRoot(root: ManifestRoot): string {
  return `${JSON.stringify(root)}\n`;
}

/** A stored manifest: a version 2 root, or a version 1 manifest (wspub before sharding) read whole. */
export type StoredManifest = { version: 2; root: ManifestRoot } | { version: 1; manifest: Manifest };

export function parseStoredManifest(text: string): StoredManifest {
  const value = JSON.parse(text) as { version?: unknown } | null;
  if (typeof value === "object" && value !== null && value.version === 1) {
    return { version: 1, manifest: parseManifest(text) };
  }
  const root = checkRecord<ManifestRoot>(value, ROOT_FIELDS, "the manifest root");
  if (!Number.isInteger(Math.log2(root.shards.length)))
    throw new Error("the manifest root: the shard count is not a power of two");
  return { version: 2, root };
}

const SHARD_FIELDS: Fields = { version: { literal: 2 }, files: { fields: {} } };

export const ROOT_FIELDS: Fields = {
  version: { literal: 2 },
  workspace: "string",
  commit: "string",
  committedAt: "count",
  files: "count",
  bytes: "count",
  excluded: "count",
  filter: "string",
  ignore: {
    listOf: {
      fields: { path: "string", blob: "string", kind: { oneOf: ["gitignore", "dockerignore", "wspubignore"] } },
    },
  },
  shards: { listOf: { match: /^[0-9a-f]{32}$/ }, nonEmpty: true },
  attributes: { anyOf: ["absent", { listOf: { fields: { path: "string", blob: "string" } } }] },
};
