import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { CommitInfo, DiffEntry, GitMode, TreeEntry } from "../../../src/git/parse.js";
import type { AttributeSource } from "../../../src/git/attributes.js";
import type { LfsObjects } from "../../../src/git/lfs-objects.js";
import type { GitReader } from "../../../src/git/port.js";

/** A tree given as path -> content (a regular file), or a symlink / submodule / executable. */
export type FakeNode = string | { symlink: string } | { submodule: string } | { exec: string };

/** The id of the first commit. */
export const COMMIT = "c0ffee0000000000000000000000000000000001";

const ZERO = "0".repeat(40);
const commitId = (n: number) => `c0ffee${String(n).padStart(34, "0")}`;
const blobId = (content: Buffer) => createHash("sha1").update(`blob ${content.length}\0`).update(content).digest("hex");

interface FakeCommit {
  info: CommitInfo;
  parent: string | undefined;
  entries: TreeEntry[];
}

/**
 * An in-memory GitReader over a small history: the constructor makes the first commit (COMMIT);
 * `commit(tree)` adds one on top of HEAD, `checkout(oid)` moves HEAD (a later commit then starts
 * another line of history). readObject answers `<oid>` and `<commit>:<path>` like
 * `git cat-file --batch` (a symlink's blob is its target text). Every call is recorded.
 */
export class FakeGit implements GitReader {
  readonly root = "/fake/repo";
  readonly calls: string[] = [];
  private readonly commits = new Map<string, FakeCommit>();
  private readonly blobs = new Map<string, Buffer>();
  private head: string;

  constructor(tree: Record<string, FakeNode>) {
    this.head = this.commit(tree);
  }

  /** Commits `tree` on top of HEAD (committer time: one minute after its parent) and returns the new id. */
  commit(tree: Record<string, FakeNode>): string {
    const parent = this.commits.size === 0 ? undefined : this.head;
    const oid = commitId(this.commits.size + 1);
    const time = 1_700_000_000 + this.commits.size * 60;
    const info = { oid, tree: "t".repeat(40), committerTime: time, subject: `commit ${this.commits.size + 1}` };
    this.commits.set(oid, { info, parent, entries: this.entriesOf(tree) });
    this.head = oid;
    return oid;
  }

  /** Moves HEAD (like `git reset --hard <oid>`). */
  checkout(oid: string): void {
    this.get(oid);
    this.head = oid;
  }

  /** The tree entry of `path` at HEAD. */
  entry(path: string): TreeEntry {
    const e = this.get(this.head).entries.find((x) => x.path === path);
    if (!e) throw new Error(`no entry ${path}`);
    return e;
  }

  async resolveCommit(ref: string): Promise<CommitInfo> {
    this.calls.push(`resolveCommit ${ref}`);
    return { ...this.get(ref === "HEAD" ? this.head : ref).info };
  }

  async listTree(commit: string, dir: string): Promise<TreeEntry[]> {
    this.calls.push(`listTree ${commit} ${JSON.stringify(dir)}`);
    return this.get(commit)
      .entries.filter((e) => dir === "" || e.path.startsWith(`${dir}/`))
      .map((e) => ({ ...e }));
  }

  async listPaths(commit: string, paths: readonly string[]): Promise<TreeEntry[]> {
    this.calls.push(`listPaths ${commit} ${JSON.stringify(paths)}`);
    return this.get(commit)
      .entries.filter((e) => paths.includes(e.path))
      .map((e) => ({ ...e }));
  }

  async diffTree(from: string, to: string, paths: readonly string[]): Promise<DiffEntry[]> {
    this.calls.push(`diffTree ${from} ${to}`);
    const before = new Map(this.get(from).entries.map((e) => [e.path, e]));
    const after = new Map(this.get(to).entries.map((e) => [e.path, e]));
    const wanted = (path: string) =>
      paths.length === 0 || paths.some((p) => path === p || (p.endsWith("/") && path.startsWith(p)));
    const out: DiffEntry[] = [];
    for (const path of [...new Set([...before.keys(), ...after.keys()])].sort()) {
      const [a, b] = [before.get(path), after.get(path)];
      if (!wanted(path) || (a && b && a.oid === b.oid && a.mode === b.mode)) continue;
      const status = !a ? "A" : !b ? "D" : a.mode !== b.mode && a.oid === b.oid ? "T" : "M";
      out.push({
        path,
        oldMode: a?.mode ?? "000000",
        newMode: b?.mode ?? "000000",
        oldOid: a?.oid ?? ZERO,
        newOid: b?.oid ?? ZERO,
        status,
      });
    }
    return out;
  }

  async readObject(spec: string): Promise<Buffer | undefined> {
    this.calls.push(`readObject ${spec}`);
    const colon = spec.indexOf(":");
    if (colon >= 0) {
      const commit = this.commits.get(spec.slice(0, colon));
      const e = commit?.entries.find((x) => x.path === spec.slice(colon + 1) && x.type === "blob");
      return e ? Buffer.from(this.blobs.get(e.oid)!) : undefined;
    }
    const body = this.blobs.get(spec.replace(/\^\{blob\}$/, ""));
    return body ? Buffer.from(body) : undefined;
  }

  streamBlob(oid: string): Readable {
    return Readable.from([this.blobs.get(oid) ?? Buffer.alloc(0)]);
  }
  async hasCommit(oid: string): Promise<boolean> {
    return this.commits.has(oid);
  }
  /** No attribute is set in a fake repository (its files are never Git LFS files). */
  async attributeValues(_sources: readonly AttributeSource[], paths: readonly string[], _name: string) {
    return new Map(paths.map((p) => [p, "unspecified"]));
  }
  /** No LFS store: every object is missing, and git-lfs is not installed. */
  readonly lfs: LfsObjects = {
    missing: async (objects) => objects.map((o) => o.oid),
    fetch: async () => ({ installed: false, ok: false, said: "", remote: "origin" }),
    writable: async () => true,
  };
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    for (let at: string | undefined = descendant; at !== undefined; at = this.get(at).parent) {
      if (at === ancestor) return true;
    }
    return false;
  }
  /** Commits reachable from `to` and not from `from` (`git rev-list --count from..to`). */
  async countCommits(from: string, to: string): Promise<number> {
    const reachable = new Set<string>();
    for (let at: string | undefined = from; at !== undefined; at = this.get(at).parent) reachable.add(at);
    let n = 0;
    for (let at: string | undefined = to; at !== undefined; at = this.get(at).parent) if (!reachable.has(at)) n++;
    return n;
  }
  async close(): Promise<void> {}

  private get(oid: string): FakeCommit {
    const c = this.commits.get(oid);
    if (!c) throw new Error(`unknown commit ${oid}`);
    return c;
  }

  private entriesOf(tree: Record<string, FakeNode>): TreeEntry[] {
    const entries: TreeEntry[] = [];
    for (const path of Object.keys(tree).sort()) {
      const node = tree[path]!;
      if (typeof node === "object" && "submodule" in node) {
        entries.push({ path, mode: "160000", type: "commit", oid: node.submodule, size: 0 });
        continue;
      }
      const [mode, text]: [GitMode, string] =
        typeof node === "string"
          ? ["100644", node]
          : "symlink" in node
            ? ["120000", node.symlink]
            : ["100755", node.exec];
      const body = Buffer.from(text, "utf8");
      const oid = blobId(body);
      this.blobs.set(oid, body);
      entries.push({ path, mode, type: "blob", oid, size: body.length });
    }
    return entries;
  }
}
