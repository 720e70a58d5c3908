import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { lookup } from "mime-types";
import type { GitReader } from "../git/port.js";
import type { PublishFile } from "../filter/publish-set.js";
import { type ManifestEntry, statMode } from "../manifest/entry.js";
import type { WriteOptions } from "../store/port.js";
import { gitFailure } from "../errors.js";

export interface Digests {
  sha256: string;
  /** base64 */
  md5: string;
}

export function digestBuffer(body: Buffer): Digests {
  return {
    sha256: createHash("sha256").update(body).digest("hex"),
    md5: createHash("md5").update(body).digest("base64"),
  };
}

/**
 * Hashes a large blob by streaming it from git (a first pass, since the MD5 must be known before a
 * multipart upload starts).
 */
export function digestStream(git: GitReader, oid: string): Promise<Digests> {
  return digestReadable(git.streamBlob(oid));
}

/** The digests of everything `stream` gives. */
export async function digestReadable(stream: Readable): Promise<Digests> {
  const sha = createHash("sha256");
  const md5 = createHash("md5");
  for await (const chunk of stream) {
    sha.update(chunk as Buffer);
    md5.update(chunk as Buffer);
  }
  return { sha256: sha.digest("hex"), md5: md5.digest("base64") };
}

/** The manifest entry of a file written with these digests, stamped with the commit's time. */
export function manifestEntry(file: PublishFile, d: Digests, mtime: number): ManifestEntry {
  const mode = file.mode as ManifestEntry["mode"];
  return { blob: file.oid, sha256: d.sha256, md5: d.md5, size: file.size, mode, mtime };
}

export async function readSmallBlob(git: GitReader, oid: string): Promise<Buffer> {
  const body = await git.readObject(oid);
  if (body === undefined) throw gitFailure(`blob ${oid} is missing from the repository`);
  return body;
}

/** The metadata every object carries; see README "Bucket layout". */
export function writeOptions(file: PublishFile, md5: string, mtime: number): WriteOptions {
  const contentType = file.mode === "120000" ? "text/plain" : lookup(file.path) || "application/octet-stream";
  return {
    size: file.size,
    md5,
    contentType,
    metadata: { mtime: String(mtime), md5chksum: md5, mode: String(statMode(file.mode)) },
  };
}
