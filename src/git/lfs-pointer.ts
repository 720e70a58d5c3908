/**
 * Git LFS pointer files (the blob git stores for a file under `filter=lfs`) and the ids wspub
 * gives their content. See git-lfs's spec.md: `version`, then keys in order, `oid sha256:<hex>`,
 * `size <bytes>`, each line ending in LF; one valid encoding per pointer.
 */

/** What a pointer names: the SHA-256 of the content (lower-case hex) and its size. */
export interface LfsPointer {
  oid: string;
  size: number;
}

/** git-lfs reads a blob as a pointer only below this size (its `blobSizeCutoff`). */
export const POINTER_MAX_BYTES = 1024;

const VERSIONS = ["https://git-lfs.github.com/spec/v1", "https://hawser.github.com/spec/v1"];
const OID = /^sha256:([0-9a-f]{64})$/;
const SIZE = /^(0|[1-9][0-9]{0,15})$/;
const MAX_SIZE = Number.MAX_SAFE_INTEGER;

/**
 * The pointer a blob holds, or undefined when it is not one. Pointers with extensions (`ext-*`
 * keys: content that other filters transform) are not read: their object is not the file's content.
 */
export function parseLfsPointer(body: Buffer): LfsPointer | undefined {
  if (body.length === 0 || body.length >= POINTER_MAX_BYTES || body[body.length - 1] !== 10) return undefined;
  const lines = body.toString("utf8").slice(0, -1).split("\n");
  if (lines.length !== 3) return undefined;
  const [version, oid, size] = lines as [string, string, string];
  const value = (line: string, key: string) => (line.startsWith(`${key} `) ? line.slice(key.length + 1) : undefined);
  if (!VERSIONS.includes(value(version, "version") ?? "")) return undefined;
  const hash = OID.exec(value(oid, "oid") ?? "");
  const bytes = value(size, "size") ?? "";
  if (hash === null || !SIZE.test(bytes) || Number(bytes) > MAX_SIZE) return undefined;
  return { oid: hash[1]!, size: Number(bytes) };
}

/** Whether a blob starts like a pointer (to name the ones that could not be read as one). */
export const looksLikeLfsPointer = (body: Buffer): boolean => body.subarray(0, 8).toString("latin1") === "version ";

/**
 * The id wspub gives an LFS file's content where a git blob id would stand (manifests, plans,
 * digests): `lfs:<sha256>`. The GitReader reads it from the clone's LFS store.
 */
export const lfsId = (sha256: string): string => `lfs:${sha256}`;

/** The SHA-256 of an `lfs:` id, or undefined for a git blob id. */
export function lfsOidOf(id: string): string | undefined {
  return id.startsWith("lfs:") ? id.slice(4) : undefined;
}
