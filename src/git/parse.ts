/** Pure parsers for git's machine-readable output; see git-ls-tree(1) and git-cat-file(1). */

export type GitMode = "100644" | "100755" | "120000" | "160000" | "040000";

export interface TreeEntry {
  /** Repository-relative path, as git stores it (UTF-8, `/` separated). */
  path: string;
  mode: GitMode;
  type: "blob" | "commit" | "tree";
  oid: string;
  /** Blob size in bytes; 0 for gitlinks. */
  size: number;
}

/**
 * Reads `git ls-tree -r -z -l` output as it arrives: `<mode> SP <type> SP <oid> SP+ <size> TAB
 * <path> NUL` records. Every string is decoded on its own from the
 * bytes: a path sliced out of the whole output (or of its record) would keep that text alive for
 * as long as the entry lives, ~8 MB at 100k files.
 */
export class LsTreeReader {
  private readonly entries: TreeEntry[] = [];
  private rest: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
    const bytes = this.rest.length > 0 ? Buffer.concat([this.rest, chunk]) : chunk;
    let start = 0;
    for (let nul = bytes.indexOf(0); nul >= 0; nul = bytes.indexOf(0, start)) {
      if (nul > start) this.entries.push(lsTreeRecord(bytes, start, nul));
      start = nul + 1;
    }
    // A copy: the chunk it came from can go.
    this.rest = Buffer.from(bytes.subarray(start));
  }

  /** The entries read; throws on a last record without its NUL. */
  end(): TreeEntry[] {
    if (this.rest.length > 0) throw malformed(this.rest, 0, this.rest.length);
    return this.entries;
  }
}

const MODES = new Map<string, GitMode>(
  (["100644", "100755", "120000", "160000", "040000"] as const).map((m) => [m, m]),
);
const TYPES = new Map<string, TreeEntry["type"]>((["blob", "commit", "tree"] as const).map((t) => [t, t]));

function lsTreeRecord(bytes: Buffer, start: number, end: number): TreeEntry {
  const tab = bytes.indexOf(9, start);
  if (tab < 0 || tab > end) throw malformed(bytes, start, end);
  const [mode, type, oid, size] = bytes.toString("latin1", start, tab).split(/ +/);
  if (!mode || !type || !oid || size === undefined) throw malformed(bytes, start, end);
  const oidStart = start + mode.length + 1 + type.length + 1;
  return {
    path: bytes.toString("utf8", tab + 1, end),
    // One string per mode and type, not one per entry.
    mode: MODES.get(mode) ?? (mode as GitMode),
    type: TYPES.get(type) ?? (type as TreeEntry["type"]),
    oid: bytes.toString("latin1", oidStart, oidStart + oid.length),
    size: size === "-" ? 0 : Number(size),
  };
}

function malformed(bytes: Buffer, start: number, end: number): Error {
  return new Error(`unexpected ls-tree record: ${JSON.stringify(bytes.toString("utf8", start, end))}`);
}

export interface CatFileHeader {
  oid: string;
  type: string;
  size: number;
}

/** Parses a `git cat-file --batch` header line; `undefined` for `<oid> missing`. */
export function parseCatFileHeader(line: string): CatFileHeader | undefined {
  // git echoes the requested name, which may contain spaces: `<name> missing`.
  if (line.endsWith(" missing") || line.endsWith(" ambiguous")) return undefined;
  const parts = line.split(" ");
  const [oid, type, size] = parts;
  if (parts.length !== 3 || !oid || !type || !size || !/^\d+$/.test(size)) {
    throw new Error(`unexpected cat-file header: ${JSON.stringify(line)}`);
  }
  return { oid, type, size: Number(size) };
}

export interface CommitInfo {
  oid: string;
  tree: string;
  /** Committer time, integer Unix seconds. */
  committerTime: number;
  subject: string;
  /** Parent ids, when known (a shallow clone's boundary commit names parents it does not have). */
  parents?: readonly string[];
}

/**
 * Parses a commit object as `git cat-file` prints it: headers (`tree`, `parent`, `committer ...
 * <time> <tz>`), a blank line, the message. The subject is the message's first paragraph on one
 * line, as `git show --format=%s` prints it.
 */
export function parseCommitObject(oid: string, body: Buffer): CommitInfo {
  const text = body.toString("utf8");
  const end = text.indexOf("\n\n");
  const headers = (end < 0 ? text : text.slice(0, end)).split("\n");
  const tree = headers.find((h) => h.startsWith("tree "))?.slice(5);
  const committer = headers.find((h) => h.startsWith("committer "));
  const time = committer?.match(/ (\d+) [+-]\d{4}$/)?.[1];
  if (!tree || !time) throw new Error(`unexpected commit object ${oid}: ${JSON.stringify(text.slice(0, 200))}`);
  const parents = headers.filter((h) => h.startsWith("parent ")).map((h) => h.slice(7));
  return { oid, tree, committerTime: Number(time), subject: subjectOf(end < 0 ? "" : text.slice(end + 2)), parents };
}

/** git's %s: blank lines skipped, then the lines up to the next blank one, without trailing space, joined by spaces. */
function subjectOf(message: string): string {
  const lines = message.split("\n").map((l) => l.replace(/\s+$/, ""));
  const start = lines.findIndex((l) => l !== "");
  if (start < 0) return "";
  const end = lines.indexOf("", start);
  return lines.slice(start, end < 0 ? undefined : end).join(" ");
}

export interface DiffEntry {
  /** Repository-relative path. */
  path: string;
  /** "000000" when the path does not exist on that side. */
  oldMode: string;
  newMode: string;
  oldOid: string;
  newOid: string;
  /** A (added), D (deleted), M (modified), T (type changed). */
  status: string;
}

/**
 * Parses `git diff-tree -r -z --raw --no-renames`: `:<old mode> <new mode> <old oid> <new oid>
 * <status> NUL <path> NUL`.
 */
export function parseDiffTree(output: string): DiffEntry[] {
  const entries: DiffEntry[] = [];
  const fields = output.split("\0");
  for (let i = 0; i < fields.length; i++) {
    const meta = fields[i]!;
    if (meta === "") continue;
    const path = fields[++i];
    const [oldMode, newMode, oldOid, newOid, status] = meta.replace(/^:/, "").split(" ");
    if (!meta.startsWith(":") || path === undefined || !oldMode || !newMode || !oldOid || !newOid || !status) {
      throw new Error(`unexpected diff-tree record: ${JSON.stringify(meta)}`);
    }
    entries.push({ path, oldMode, newMode, oldOid, newOid, status });
  }
  return entries;
}
