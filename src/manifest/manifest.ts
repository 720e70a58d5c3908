import { createHash } from "node:crypto";
import { z } from "zod";
import type { GitMode } from "../git/parse.js";

/**
 * The record of one published commit: what the bucket holds under the workspace prefix.
 * Stored immutably at `<prefix>/.wspub/<name>/manifests/<commit>-<digest>.json`.
 */
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

export interface Manifest {
  version: 1;
  workspace: string;
  commit: string;
  /** Committer time of `commit`, Unix seconds. */
  committedAt: number;
  /** Keyed by path relative to the workspace root (not by object name). */
  files: Record<string, ManifestEntry>;
}

const entrySchema = z.object({
  blob: z.string(),
  sha256: z.string(),
  md5: z.string(),
  size: z.number().int().nonnegative(),
  mode: z.enum(["100644", "100755", "120000"]),
  mtime: z.number().int(),
});
const manifestSchema = z.object({
  version: z.literal(1),
  workspace: z.string(),
  commit: z.string(),
  committedAt: z.number().int(),
  files: z.record(z.string(), entrySchema),
});

export function parseManifest(text: string): Manifest {
  return manifestSchema.parse(JSON.parse(text)) as Manifest;
}

/** Deterministic serialisation (sorted paths), so equal manifests have equal names and bytes. */
export function serializeManifest(manifest: Manifest): string {
  const files: Record<string, ManifestEntry> = {};
  for (const path of Object.keys(manifest.files).sort()) files[path] = manifest.files[path]!;
  return `${JSON.stringify({ ...manifest, files }, null, 1)}\n`;
}

/** Short content digest used in the manifest's name: one commit published with other excludes gets another manifest. */
export function manifestDigest(serialized: string): string {
  return createHash("sha256").update(serialized).digest("hex").slice(0, 16);
}

/** rclone's convention for symlinks on object stores: `rclone mount --links` shows `x.rclonelink` as symlink `x`. */
export const LINK_SUFFIX = ".rclonelink";

/** The object name (relative to the workspace prefix) that holds `path`. */
export function objectName(path: string, mode: GitMode): string {
  return mode === "120000" ? `${path}${LINK_SUFFIX}` : path;
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

export function totalBytes(manifest: Manifest): number {
  return Object.values(manifest.files).reduce((sum, e) => sum + e.size, 0);
}
