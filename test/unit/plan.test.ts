import { describe, expect, it } from "vitest";
import { objectNameConflicts } from "../../src/filter/checks.js";
import { planPublish, type Plan } from "../../src/plan/plan.js";
import type { PublishFile } from "../../src/filter/publish-set.js";
import type { GitMode } from "../../src/git/parse.js";
import type { ManifestEntry } from "../../src/manifest/entry.js";

// Blob ids are opaque to the planner; short readable names keep the tables legible.
const file = (path: string, oid: string, mode: GitMode = "100644", size = 10): PublishFile => ({
  path,
  mode,
  oid,
  size,
});
const entry = (blob: string, mode: GitMode = "100644", size = 10): ManifestEntry => ({
  blob,
  sha256: `sha256-of-${blob}`,
  md5: `md5-of-${blob}`,
  size,
  mode,
  mtime: 1_700_000_000,
});

/** The plan reduced to object names: put objects, copies as "object<-from", kept objects, deletes. */
function summary(plan: Plan) {
  return {
    put: plan.put.map((a) => a.object),
    copy: plan.copy.map((a) => `${a.object}<-${a.from}`),
    keep: plan.keep.map((a) => a.object),
    delete: plan.delete,
  };
}

/**
 * Executes a plan against a model bucket the way publish() does: all puts, then all copies
 * (concurrently, so each copy reads its source as the puts left it, and no copy may read an
 * object another copy of the same plan rewrites with other content), then the deletes.
 * Returns the final bucket (object -> blob id) and the problems found.
 */
function execute(
  desired: readonly PublishFile[],
  live: Record<string, ManifestEntry>,
  strays: readonly string[],
  plan: Plan,
) {
  const objectOf = (path: string, mode: GitMode) => (mode === "120000" ? `${path}.rclonelink` : path);
  const bucket = new Map<string, string>();
  for (const s of strays) bucket.set(s, `stray:${s}`);
  for (const [path, e] of Object.entries(live)) bucket.set(objectOf(path, e.mode), e.blob);
  const problems: string[] = [];
  for (const p of plan.put) bucket.set(p.object, p.file.oid);
  const afterPuts = new Map(bucket);
  const copyWrites = new Map(plan.copy.map((c) => [c.object, c.file.oid]));
  for (const c of plan.copy) {
    const source = afterPuts.get(c.from);
    if (source !== c.file.oid) {
      problems.push(
        `copy ${c.object}<-${c.from}: source holds ${source ?? "nothing"} after the puts, not ${c.file.oid}`,
      );
    }
    const rewritten = copyWrites.get(c.from);
    if (c.from !== c.object && rewritten !== undefined && rewritten !== c.file.oid) {
      problems.push(`copy ${c.object}<-${c.from}: source is rewritten with ${rewritten} by a concurrent copy`);
    }
  }
  for (const c of plan.copy) bucket.set(c.object, c.file.oid);
  for (const d of plan.delete) bucket.delete(d);
  const want = new Map(desired.map((f) => [objectOf(f.path, f.mode), f.oid]));
  for (const [object, oid] of want)
    if (bucket.get(object) !== oid) problems.push(`${object}: holds ${bucket.get(object) ?? "nothing"}, want ${oid}`);
  for (const object of bucket.keys()) if (!want.has(object)) problems.push(`${object}: left behind`);
  return problems;
}

interface Case {
  name: string;
  live: Record<string, ManifestEntry>;
  desired: PublishFile[];
  strays?: string[];
  expected: { put: string[]; copy: string[]; keep: string[]; delete: string[] };
}

const cases: Case[] = [
  {
    name: "first publish: everything is put",
    live: {},
    desired: [file("a.txt", "A"), file("src/b.ts", "B"), file("bin/run", "R", "100755")],
    expected: { put: ["a.txt", "src/b.ts", "bin/run"], copy: [], keep: [], delete: [] },
  },
  {
    name: "no change: everything is kept",
    live: { "a.txt": entry("A"), "src/b.ts": entry("B"), "bin/run": entry("R", "100755") },
    desired: [file("a.txt", "A"), file("src/b.ts", "B"), file("bin/run", "R", "100755")],
    expected: { put: [], copy: [], keep: ["a.txt", "src/b.ts", "bin/run"], delete: [] },
  },
  {
    name: "modify: the new content is put over the old object",
    live: { "a.txt": entry("A"), "b.txt": entry("B") },
    desired: [file("a.txt", "A2"), file("b.txt", "B")],
    expected: { put: ["a.txt"], copy: [], keep: ["b.txt"], delete: [] },
  },
  {
    name: "delete: the object of a path no longer published is deleted",
    live: { "a.txt": entry("A"), "b.txt": entry("B") },
    desired: [file("a.txt", "A")],
    expected: { put: [], copy: [], keep: ["a.txt"], delete: ["b.txt"] },
  },
  {
    name: "add: a new path with new content is put",
    live: { "a.txt": entry("A") },
    desired: [file("a.txt", "A"), file("c.txt", "C")],
    expected: { put: ["c.txt"], copy: [], keep: ["a.txt"], delete: [] },
  },
  {
    name: "rename without edit: copy from the old object, then delete it",
    live: { "old/name.txt": entry("A"), "b.txt": entry("B") },
    desired: [file("new/name.txt", "A"), file("b.txt", "B")],
    expected: { put: [], copy: ["new/name.txt<-old/name.txt"], keep: ["b.txt"], delete: ["old/name.txt"] },
  },
  {
    name: "rename with edit: put the new path, delete the old",
    live: { "old.txt": entry("A") },
    desired: [file("new.txt", "A2")],
    expected: { put: ["new.txt"], copy: [], keep: [], delete: ["old.txt"] },
  },
  {
    name: "revert to content another live object holds: copy from it",
    live: { "a.txt": entry("A1"), "b.txt": entry("A0") },
    desired: [file("a.txt", "A0"), file("b.txt", "A0")],
    expected: { put: [], copy: ["a.txt<-b.txt"], keep: ["b.txt"], delete: [] },
  },
  {
    name: "mode change only: copy the object onto itself (new metadata)",
    live: { "run.sh": entry("S", "100644") },
    desired: [file("run.sh", "S", "100755")],
    expected: { put: [], copy: ["run.sh<-run.sh"], keep: [], delete: [] },
  },
  {
    name: "executable bit removed: copy onto itself",
    live: { "run.sh": entry("S", "100755") },
    desired: [file("run.sh", "S", "100644")],
    expected: { put: [], copy: ["run.sh<-run.sh"], keep: [], delete: [] },
  },
  {
    name: "file -> symlink: the object name gains .rclonelink, the old object goes",
    live: { link: entry("A", "100644") },
    desired: [file("link", "L", "120000")],
    expected: { put: ["link.rclonelink"], copy: [], keep: [], delete: ["link"] },
  },
  {
    name: "symlink -> file: the object name loses .rclonelink",
    live: { link: entry("L", "120000") },
    desired: [file("link", "A", "100644")],
    expected: { put: ["link"], copy: [], keep: [], delete: ["link.rclonelink"] },
  },
  {
    name: "unchanged symlink is kept under its .rclonelink name",
    live: { "dir/link": entry("L", "120000") },
    desired: [file("dir/link", "L", "120000")],
    expected: { put: [], copy: [], keep: ["dir/link.rclonelink"], delete: [] },
  },
  {
    name: "file -> symlink whose blob is already live elsewhere: copy",
    live: { x: entry("A", "100644"), target: entry("L", "100644") },
    desired: [file("x", "L", "120000"), file("target", "L", "100644")],
    expected: { put: [], copy: ["x.rclonelink<-target"], keep: ["target"], delete: ["x"] },
  },
  {
    name: "duplicate new content in two paths: one put, one copy from the put's object",
    live: {},
    desired: [file("one/a.txt", "N"), file("two/a.txt", "N")],
    expected: { put: ["one/a.txt"], copy: ["two/a.txt<-one/a.txt"], keep: [], delete: [] },
  },
  {
    name: "duplicate new content in three paths next to kept files",
    live: { "keep.txt": entry("K") },
    desired: [file("keep.txt", "K"), file("x", "N"), file("y", "N"), file("z", "N", "100755")],
    expected: { put: ["x"], copy: ["y<-x", "z<-x"], keep: ["keep.txt"], delete: [] },
  },
  {
    name: "case-only rename: copy to the new name, delete the old one",
    live: { "README.md": entry("R") },
    desired: [file("readme.md", "R")],
    expected: { put: [], copy: ["readme.md<-README.md"], keep: [], delete: ["README.md"] },
  },
  {
    name: "strays on first publish are deleted unless re-wanted",
    live: {},
    strays: ["old.txt", "a.txt", "z/gone.rclonelink", "link.rclonelink"],
    desired: [file("a.txt", "A"), file("link", "L", "120000")],
    expected: { put: ["a.txt", "link.rclonelink"], copy: [], keep: [], delete: ["old.txt", "z/gone.rclonelink"] },
  },
  {
    name: "a stray named like a live object is deleted once",
    live: { "a.txt": entry("A") },
    strays: ["a.txt", "b.txt"],
    desired: [],
    expected: { put: [], copy: [], keep: [], delete: ["a.txt", "b.txt"] },
  },
  {
    name: "deletes are sorted (code-unit order), live and strays together",
    live: { "z.txt": entry("Z"), "b/c.txt": entry("C"), "a.txt": entry("A"), "M.txt": entry("M") },
    strays: ["y.txt", "B.txt", "a/z"],
    desired: [],
    expected: { put: [], copy: [], keep: [], delete: ["B.txt", "M.txt", "a.txt", "a/z", "b/c.txt", "y.txt", "z.txt"] },
  },
  {
    name: "everything deleted when the set becomes empty",
    live: { "a.txt": entry("A"), l: entry("L", "120000") },
    desired: [],
    expected: { put: [], copy: [], keep: [], delete: ["a.txt", "l.rclonelink"] },
  },
];

describe("planPublish", () => {
  it.each(cases)("$name", ({ live, desired, strays, expected }) => {
    const plan = planPublish(desired, live, strays ?? []);
    expect(summary(plan)).toEqual(expected);
  });

  it.each(cases)("$name: executing the plan gives an exact mirror", ({ live, desired, strays }) => {
    const plan = planPublish(desired, live, strays ?? []);
    expect(execute(desired, live, strays ?? [], plan)).toEqual([]);
  });

  it("carries the publish file, the object name and the live entry in each action", () => {
    const live = { "a.txt": entry("A"), "old.txt": entry("B") };
    const desired = [file("a.txt", "A"), file("new.txt", "B", "100755", 7), file("l", "N", "120000", 3)];
    const plan = planPublish(desired, live);
    expect(plan).toEqual({
      put: [{ file: desired[2], object: "l.rclonelink" }],
      copy: [{ file: desired[1], object: "new.txt", from: "old.txt" }],
      keep: [{ file: desired[0], object: "a.txt", entry: live["a.txt"] }],
      delete: ["old.txt"],
      added: ["new.txt", "l"],
    });
  });

  it("the s3fs layout: a symlink is its own object name, with no twin to collide with", () => {
    const desired = [file("l", "N", "120000", 3), file("l.rclonelink", "M")];
    const plan = planPublish(desired, { "l.rclonelink": entry("M") }, [], new Set(), "s3fs");
    expect(summary(plan)).toEqual({ put: ["l"], copy: [], keep: ["l.rclonelink"], delete: [] });
    expect(plan.added).toEqual(["l"]);
  });

  it("copies from the first live holder of the blob (manifest order)", () => {
    const live = { "x/one": entry("D"), "x/two": entry("D") };
    const plan = planPublish([file("x/one", "D"), file("x/two", "D"), file("x/three", "D")], live);
    expect(summary(plan)).toEqual({ put: [], copy: ["x/three<-x/one"], keep: ["x/one", "x/two"], delete: [] });
  });

  it("does not use a stray as a copy source (its content is unknown)", () => {
    const plan = planPublish([file("a.txt", "A")], {}, ["a-copy.txt"]);
    expect(summary(plan)).toEqual({ put: ["a.txt"], copy: [], keep: [], delete: ["a-copy.txt"] });
  });

  it("keeps only when blob AND mode match: same mode, other blob is not a keep", () => {
    const plan = planPublish([file("a", "A2", "100755")], { a: entry("A", "100755") });
    expect(summary(plan).keep).toEqual([]);
    expect(summary(plan).put).toEqual(["a"]);
  });

  it("is pure: it does not modify its inputs", () => {
    const live = { "a.txt": entry("A") };
    const desired = [file("b.txt", "A")];
    const strays = ["s"];
    const before = JSON.stringify({ live, desired, strays });
    planPublish(desired, live, strays);
    expect(JSON.stringify({ live, desired, strays })).toBe(before);
  });

  // The copies run after the puts and concurrently with each other (publish.ts applyWrites), so
  // a copy must never read an object that the same plan rewrites with other content.
  const overwrittenSource: Omit<Case, "expected">[] = [
    {
      name: "copy a file to a new path and edit the original (cp a c; edit a)",
      live: { "a.txt": entry("A") },
      desired: [file("a.txt", "A2"), file("c.txt", "A")],
    },
    {
      name: "swap the contents of two files",
      live: { "a.txt": entry("A"), "b.txt": entry("B") },
      desired: [file("a.txt", "B"), file("b.txt", "A")],
    },
    {
      name: "rename b over a, and a to c (git mv a c; git mv b a)",
      live: { "a.txt": entry("A"), "b.txt": entry("B") },
      desired: [file("a.txt", "B"), file("c.txt", "A")],
    },
  ];

  it.each(overwrittenSource)("copy sources are not rewritten by the same plan: $name", ({ live, desired, strays }) => {
    const plan = planPublish(desired, live, strays ?? []);
    expect(execute(desired, live, strays ?? [], plan)).toEqual([]);
  });

  it("a randomised history of commits always executes to an exact mirror", () => {
    // Deterministic pseudo-random edits (mulberry32), applied commit after commit.
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    const paths = ["a", "b", "c", "d/e", "d/f", "g"];
    const blobs = ["B1", "B2", "B3", "B4", "B5"];
    const modes: GitMode[] = ["100644", "100755", "120000"];
    let live: Record<string, ManifestEntry> = {};
    const failures: string[] = [];
    for (let commit = 0; commit < 400; commit++) {
      const desired: PublishFile[] = [];
      for (const p of paths)
        if (rand(4) > 0) desired.push(file(p, blobs[rand(blobs.length)]!, modes[rand(10) === 0 ? rand(3) : 0]!));
      if (objectNameConflicts(desired).length > 0) continue;
      const plan = planPublish(desired, live);
      const problems = execute(desired, live, [], plan);
      if (problems.length > 0) failures.push(`commit ${commit}: ${problems.join("; ")}`);
      live = Object.fromEntries(desired.map((f) => [f.path, entry(f.oid, f.mode, f.size)]));
    }
    expect(failures).toEqual([]);
  });
});

describe("objectNameConflicts", () => {
  it.each([
    { name: "no conflict", desired: [file("a", "A"), file("b", "B", "120000")], expected: [] },
    {
      name: "symlink x next to a file x.rclonelink",
      desired: [file("x", "L", "120000"), file("x.rclonelink", "A")],
      expected: ["x.rclonelink"],
    },
    {
      name: "file first, then the symlink",
      desired: [file("d/x.rclonelink", "A"), file("d/x", "L", "120000")],
      expected: ["d/x.rclonelink"],
    },
    {
      name: "a file x next to a symlink x in another dir is fine",
      desired: [file("x", "A"), file("y/x", "L", "120000")],
      expected: [],
    },
  ])("$name", ({ desired, expected }) => {
    expect(objectNameConflicts(desired)).toEqual(expected);
  });
});
