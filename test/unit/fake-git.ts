import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { CommitInfo, GitMode, TreeEntry } from "../../src/git/parse.js";
import type { GitReader } from "../../src/git/port.js";

/** A tree given as path -> content (a regular file), or a symlink / submodule / executable. */
export type FakeNode = string | { symlink: string } | { submodule: string } | { exec: string };

export const COMMIT = "c0ffee0000000000000000000000000000000001";

const blobId = (content: Buffer) => createHash("sha1").update(`blob ${content.length}\0`).update(content).digest("hex");

/**
 * An in-memory GitReader over ONE commit. readObject answers `<oid>` and `<commit>:<path>` like
 * `git cat-file --batch` (a symlink's blob is its target text). Every call is recorded.
 */
export class FakeGit implements GitReader {
  readonly root = "/fake/repo";
  readonly calls: string[] = [];
  private readonly entries: TreeEntry[] = [];
  private readonly blobs = new Map<string, Buffer>();

  constructor(tree: Record<string, FakeNode>) {
    for (const path of Object.keys(tree).sort()) {
      const node = tree[path]!;
      if (typeof node === "object" && "submodule" in node) {
        this.entries.push({ path, mode: "160000", type: "commit", oid: node.submodule, size: 0 });
        continue;
      }
      let mode: GitMode = "100644";
      let text: string;
      if (typeof node === "string") text = node;
      else if ("symlink" in node) {
        mode = "120000";
        text = node.symlink;
      } else {
        mode = "100755";
        text = node.exec;
      }
      const body = Buffer.from(text, "utf8");
      const oid = blobId(body);
      this.blobs.set(oid, body);
      this.entries.push({ path, mode, type: "blob", oid, size: body.length });
    }
  }

  entry(path: string): TreeEntry {
    const e = this.entries.find((x) => x.path === path);
    if (!e) throw new Error(`no entry ${path}`);
    return e;
  }

  async resolveCommit(ref: string): Promise<CommitInfo> {
    this.calls.push(`resolveCommit ${ref}`);
    return { oid: COMMIT, tree: "t".repeat(40), committerTime: 1_700_000_000, subject: "fake" };
  }

  async listTree(commit: string, dir: string): Promise<TreeEntry[]> {
    this.calls.push(`listTree ${commit} ${JSON.stringify(dir)}`);
    if (commit !== COMMIT) throw new Error(`unknown commit ${commit}`);
    return this.entries.filter((e) => dir === "" || e.path.startsWith(`${dir}/`)).map((e) => ({ ...e }));
  }

  async listPaths(commit: string, paths: readonly string[]): Promise<TreeEntry[]> {
    this.calls.push(`listPaths ${commit} ${JSON.stringify(paths)}`);
    if (commit !== COMMIT) throw new Error(`unknown commit ${commit}`);
    return this.entries.filter((e) => paths.includes(e.path)).map((e) => ({ ...e }));
  }

  async diffTree(from: string, to: string): Promise<never> {
    this.calls.push(`diffTree ${from} ${to}`);
    throw new Error("FakeGit holds one commit: it has no diff");
  }

  async readObject(spec: string): Promise<Buffer | undefined> {
    this.calls.push(`readObject ${spec}`);
    const colon = spec.indexOf(":");
    if (colon >= 0) {
      if (spec.slice(0, colon) !== COMMIT) return undefined;
      const e = this.entries.find((x) => x.path === spec.slice(colon + 1) && x.type === "blob");
      return e ? Buffer.from(this.blobs.get(e.oid)!) : undefined;
    }
    const body = this.blobs.get(spec);
    return body ? Buffer.from(body) : undefined;
  }

  streamBlob(oid: string): Readable {
    return Readable.from([this.blobs.get(oid) ?? Buffer.alloc(0)]);
  }
  async hasCommit(oid: string): Promise<boolean> {
    return oid === COMMIT;
  }
  async isAncestor(): Promise<boolean> {
    return true;
  }
  async countCommits(): Promise<number> {
    return 0;
  }
  async close(): Promise<void> {}
}
