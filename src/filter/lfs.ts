import type { AttributeSource } from "../git/attributes.js";
import { lfsId, looksLikeLfsPointer, POINTER_MAX_BYTES, parseLfsPointer } from "../git/lfs-pointer.js";
import type { GitMode, TreeEntry } from "../git/parse.js";
import type { GitReader } from "../git/port.js";
import { runBounded } from "../queue.js";

/** A file of a publish set, as far as LFS is concerned (filter/publish-set.ts's PublishFile). */
interface FileOfSet {
  path: string;
  mode: GitMode;
  oid: string;
  size: number;
  /** For an LFS file published as its content: the pointer's blob id (`oid` is then the content's `lfs:` id). */
  pointer?: string;
}

/**
 * What is published for a Git LFS file: its content (default), or the pointer file git stores
 * (config `"lfs": "pointers"`, for a monitor that fetches LFS content itself).
 */
export type LfsMode = "content" | "pointers";
export const LFS_MODES: readonly LfsMode[] = ["content", "pointers"];

const ATTRIBUTES = ".gitattributes";
const base = (dir: string) => (dir === "" ? "" : `${dir}/`);

/** The `.gitattributes` paths of the directories above a workspace (repository-relative). */
export function ancestorAttributeFiles(wsDir: string): string[] {
  return wsDir === "" ? [] : wsDir.split("/").map((_, i, parts) => `${base(parts.slice(0, i).join("/"))}${ATTRIBUTES}`);
}

export const isAttributeFile = (path: string): boolean => path === ATTRIBUTES || path.endsWith(`/${ATTRIBUTES}`);

/** The `.gitattributes` files among tree entries that git reads (regular files: like git >= 2.32, not symlinks). */
export function attributeSourcesOf(entries: readonly TreeEntry[]): AttributeSource[] {
  return entries
    .filter((e) => e.type === "blob" && e.mode !== "120000" && isAttributeFile(e.path))
    .map((e) => ({ path: e.path, blob: e.oid }));
}

/** The publish set with its Git LFS files standing for their content, and what could not be read as LFS. */
export interface LfsFiles<F extends FileOfSet> {
  files: F[];
  /** Workspace-relative paths under `filter=lfs` whose blob is not a pointer wspub can read: published as stored. */
  unreadable: string[];
}

/**
 * Files that `filter=lfs` applies to (by the commit's `.gitattributes`) and whose blob is an LFS
 * pointer are published as the content it names: the file's id becomes `lfs:<sha256>` (which the
 * GitReader reads from the LFS store) and its size the content's. Without an attributes file that
 * mentions lfs, nothing is read: repositories without LFS pay nothing.
 */
export async function withLfsContent<F extends FileOfSet>(
  git: GitReader,
  wsDir: string,
  sources: readonly AttributeSource[],
  files: readonly F[],
  mode: LfsMode,
  concurrency = 8,
): Promise<LfsFiles<F>> {
  const result: LfsFiles<F> = { files: [...files], unreadable: [] };
  if (mode === "pointers" || sources.length === 0) return result;
  const texts = await Promise.all(sources.map((s) => git.readObject(s.blob)));
  if (!texts.some((t) => t?.includes("lfs"))) return result;
  const wsBase = base(wsDir);
  const candidates = files
    .map((file, index) => ({ file, index }))
    .filter(({ file }) => file.mode !== "120000" && file.size > 0 && file.size < POINTER_MAX_BYTES);
  const filters = await git.attributeValues(
    sources,
    candidates.map(({ file }) => wsBase + file.path),
    "filter",
  );
  const lfs = candidates.filter(({ file }) => filters.get(wsBase + file.path) === "lfs");
  await runBounded(lfs, concurrency, async ({ file, index }) => {
    const body = (await git.readObject(file.oid)) ?? Buffer.alloc(0);
    const pointer = parseLfsPointer(body);
    if (pointer) result.files[index] = { ...file, oid: lfsId(pointer.oid), size: pointer.size, pointer: file.oid };
    else if (looksLikeLfsPointer(body)) result.unreadable.push(file.path);
  });
  result.unreadable.sort();
  return result;
}
