// What a reader of a mounted workspace sees: a tree walked through the mount, every byte of every
// file and symlinks as symlinks. Used by test/e2e/mount.test.ts, test/e2e/atomic-view.test.ts and
// bench/torn-view.ts.

import { createHash } from "node:crypto";
import { lstatSync, readFileSync, readdirSync, readlinkSync, realpathSync } from "node:fs";
import { join } from "node:path";

/** One entry per path under a directory: what a reader of the mount (or the expected commit) sees. */
export type Entry =
  | { type: "dir" }
  | { type: "file"; sha256: string; mtime: number }
  | { type: "symlink"; target: string }
  /** Listed by its directory, gone when it was read: only while a publish deletes in place. */
  | { type: "vanished" };
export type Tree = Record<string, Entry>;
export const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

/**
 * Reads a directory tree through the mount: every byte of every file, symlinks as symlinks.
 * `duringPublish`: the tree is being rewritten in place, so an entry its directory listed may be
 * gone when it is read; it is recorded as vanished (a torn view) instead of failing the walk.
 * Otherwise any error fails it.
 */
export function snapshot(root: string, duringPublish = false): Tree {
  const out: Tree = {};
  const gone = (e: unknown) => duringPublish && ["ENOENT", "ENOTDIR"].includes((e as NodeJS.ErrnoException).code ?? "");
  const read = (path: string, full: string) => {
    const st = lstatSync(full);
    if (st.isSymbolicLink()) out[path] = { type: "symlink", target: readlinkSync(full) };
    else if (st.isDirectory()) {
      out[path] = { type: "dir" };
      walk(path);
    } else out[path] = { type: "file", sha256: sha256(readFileSync(full)), mtime: Math.floor(st.mtimeMs / 1000) };
  };
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      try {
        read(path, join(root, path));
      } catch (e) {
        if (!gone(e)) throw e;
        out[path] = { type: "vanished" };
      }
    }
  };
  walk("");
  return out;
}

/** The first entry of `now` that is in neither `before` nor `want` (a torn view), described; undefined if none. */
export function entryOfNeither(now: Tree, before: Tree, want: Tree): string | undefined {
  for (const [path, entry] of Object.entries(now)) {
    const e = JSON.stringify(entry);
    if (e !== JSON.stringify(before[path]) && e !== JSON.stringify(want[path])) return `${path}: ${e}`;
  }
  return undefined;
}

// A reader of the mount during publishes (issue 13), shared by test/e2e/atomic-view.test.ts and
// `npm run bench:torn`: commits that alternate between two trees, A and B (files that change
// length, a package.json and its lockfile changing together, a renamed directory), and a reader
// that walks the workspace through the mount in a loop, from each push's start until it shows the
// new tree. Each walk is A, B, or torn (neither: a mix of both, an entry listed then gone, a short
// read). (One file with the walker: the benchmarks import it with no relative imports.)

/** The files of tree A (`which` 0) or B (1): path -> content. */
export function treeOf(which: 0 | 1, files: number, changing: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < files; i++) {
    const grows = i < changing && which === 1 ? 1 : 0;
    out[`src/d${i % 10}/f${i}.txt`] = `file ${i}\n${"x".repeat(100 + (i % 7) * 30 + grows * 57)}\n`;
  }
  const version = which === 0 ? "1.0.0" : "1.1.0-beta";
  out["package.json"] = `${JSON.stringify({ name: "app", version })}\n`;
  out["package-lock.json"] = `${JSON.stringify({ name: "app", version, lockfileVersion: 3 })}\n`;
  const dir = which === 0 ? "old" : "new";
  for (const name of ["a", "b", "c"]) out[`${dir}/dir/${name}.txt`] = `${name}\n`;
  return out;
}

/** What a reader must see for a tree: files by content, and their directories (mtimes left out). */
export function expectedView(files: Record<string, string>): string {
  const view: Record<string, string> = {};
  for (const [path, content] of Object.entries(files)) {
    view[path] = `file ${sha256(content)}`;
    for (let d = path.split("/").slice(0, -1); d.length > 0; d = d.slice(0, -1)) view[d.join("/")] = "dir";
  }
  return JSON.stringify(Object.fromEntries(Object.entries(view).sort(([x], [y]) => (x < y ? -1 : 1))));
}

/** A walk's view in the form of expectedView. */
export function viewOf(tree: Tree): string {
  const view: Record<string, string> = {};
  for (const [path, e] of Object.entries(tree)) {
    view[path] = e.type === "file" ? `file ${e.sha256}` : e.type === "symlink" ? `symlink ${e.target}` : e.type;
  }
  return JSON.stringify(view);
}

export interface Round {
  walks: number;
  /** Walks that saw A, B, or neither. */
  seen: [number, number, number];
  vanished: number;
  firstTorn?: string;
  publishMs: number;
  uploaded: number;
  deleted: number;
}

export interface PushOutcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Publishes `commits[1..]` one after the other with `push` while walking `root` (the workspace in
 * the mount) until each push has returned and a walk has seen its tree. `atomic`: `root` is a
 * symlink, resolved once per walk as a monitor resolves it once per run; in place, entries that a
 * listing named and a read found gone count as vanished instead of failing the walk.
 */
export async function readDuringPublishes(o: {
  root: string;
  atomic: boolean;
  commits: readonly string[];
  trees: readonly [Record<string, string>, Record<string, string>];
  push: (ref: string) => Promise<PushOutcome>;
  timeoutMs: number;
  onRound?: (k: number, round: Round) => void;
}): Promise<Round[]> {
  const views = [expectedView(o.trees[0]), expectedView(o.trees[1])] as const;
  const rounds: Round[] = [];
  for (let k = 1; k < o.commits.length; k++) {
    const want = (k % 2) as 0 | 1;
    const round: Round = { walks: 0, seen: [0, 0, 0], vanished: 0, publishMs: 0, uploaded: 0, deleted: 0 };
    let result: PushOutcome | undefined;
    const running = o.push(o.commits[k]!).then((r) => (result = r));
    const t0 = performance.now();
    while (result === undefined || round.seen[want] === 0) {
      if (performance.now() - t0 > o.timeoutMs) throw new Error(`publish ${k}: the mount never showed it`);
      const tree = o.atomic ? snapshot(realpathSync(o.root)) : snapshot(o.root, true);
      round.walks++;
      round.vanished += Object.values(tree).filter((e) => e.type === "vanished").length;
      const view = viewOf(tree);
      const which = view === views[0] ? 0 : view === views[1] ? 1 : 2;
      round.seen[which]++;
      if (which === 2) round.firstTorn ??= describeTorn(tree, o.trees);
      await new Promise((r) => setImmediate(r));
    }
    const r = await running;
    if (r.code !== 0) throw new Error(`publish ${k} failed: ${r.stderr}`);
    const out = JSON.parse(r.stdout) as { durationMs: number; uploaded: number; deleted: number };
    Object.assign(round, { publishMs: out.durationMs, uploaded: out.uploaded, deleted: out.deleted });
    rounds.push(round);
    o.onRound?.(k, round);
  }
  return rounds;
}

/** Why a walk is neither tree: how many of its entries are as in A only, as in B only, as in neither. */
export function describeTorn(tree: Tree, trees: readonly [Record<string, string>, Record<string, string>]): string {
  const count = { a: 0, b: 0, neither: 0, vanished: 0 };
  for (const [path, e] of Object.entries(tree)) {
    if (e.type === "vanished") count.vanished++;
    if (e.type !== "file") continue;
    const [a, b] = trees.map((t) => (t[path] === undefined ? undefined : sha256(t[path]!)));
    if (e.sha256 === a && e.sha256 !== b) count.a++;
    else if (e.sha256 === b && e.sha256 !== a) count.b++;
    else if (e.sha256 !== a) count.neither++;
  }
  return (
    `files as in A only ${count.a}, as in B only ${count.b}, in neither (short reads) ${count.neither}, ` +
    `listed then gone ${count.vanished}`
  );
}
