import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The house rules of src/ that a reader relies on (issue 10): modules short enough to read top to
 * bottom, one module per concern for bucket keys and for starting git, and folders that depend on
 * each other in one direction only. Biome's noImportCycles (npm test runs `biome ci`) checks
 * module-level cycles; this checks the folders.
 */
const SRC = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "src");

function sources(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}
const files = sources().map((path) => ({ path, name: relative(SRC, path), text: readFileSync(path, "utf8") }));

/** The code without comments, so that a key named in a doc comment does not count as spelled. */
const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");

/** `cli/commands/push.ts` -> `cli`; a top-level module is its own node (`errors.ts`). */
const folderOf = (name: string) => (name.includes("/") ? name.split("/")[0]! : name);

describe("src/ layout", () => {
  it("has no module over 300 lines", () => {
    const long = files.filter((f) => f.text.split("\n").length > 300).map((f) => f.name);
    expect(long).toEqual([]);
  });

  it("has no line over 120 characters", () => {
    const long = files.flatMap((f) =>
      f.text.split("\n").flatMap((line, i) => (line.length > 120 ? [`${f.name}:${i + 1}`] : [])),
    );
    expect(long).toEqual([]);
  });

  it("spells every bucket key in store/layout.ts only", () => {
    const keys = [
      "live.json",
      "lock.json",
      "journal.json",
      "capabilities.json",
      "manifests/",
      '".wspub"',
      ".wspub/",
      "probe-",
    ];
    // A key as a name of its own (`package-lock.json` is npm's file, not the lock record).
    const spells = (text: string, k: string) =>
      new RegExp(`(?<![\\w-])${k.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`).test(text);
    const spelled = files.flatMap((f) =>
      f.name === "store/layout.ts" ? [] : keys.filter((k) => spells(code(f.text), k)).map((k) => `${f.name}: ${k}`),
    );
    expect(spelled).toEqual([]);
    const layout = code(files.find((f) => f.name === "store/layout.ts")!.text);
    for (const k of keys.filter((k) => k !== ".wspub/")) expect(layout).toContain(k);
  });

  it("starts git only in git/exec.ts", () => {
    const starters = files.filter((f) => /\b(spawn|execFile|execFileSync|spawnSync|exec)\s*\(\s*"git"/.test(f.text));
    expect(starters.map((f) => f.name)).toEqual(["git/exec.ts"]);
    const childProcess = files.filter((f) => /from "node:child_process"/.test(f.text) && !f.name.startsWith("git/"));
    expect(childProcess.map((f) => f.name)).toEqual([]);
  });

  it("reads the Action's inputs only in action/inputs.ts", () => {
    const readers = files.filter((f) => /core\.get(Boolean|Multiline)?Input\(/.test(f.text)).map((f) => f.name);
    expect(readers).toEqual(["action/inputs.ts"]);
  });

  it("has folders that import each other in one direction only (no folder-level cycle)", () => {
    const edges = new Map<string, Set<string>>();
    for (const f of files) {
      const from = folderOf(f.name);
      for (const m of f.text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)) {
        const target = normalize(join(dirname(f.name), m[1]!));
        const to = folderOf(target.replace(/\.js$/, ".ts"));
        if (to !== from) edges.set(from, (edges.get(from) ?? new Set()).add(to));
      }
    }
    expect(edges.size).toBeGreaterThan(10);
    expect(findCycle(edges)).toBeUndefined();
  });

  it("finds a folder cycle when there is one (the check above can fail)", () => {
    const graph = new Map([
      ["a", new Set(["b"])],
      ["b", new Set(["c"])],
      ["c", new Set(["a"])],
    ]);
    expect(findCycle(graph)).toEqual(["a", "b", "c", "a"]);
    expect(findCycle(new Map([["a", new Set(["b"])]]))).toBeUndefined();
  });
});

describe("README, Layout of the code", () => {
  const readme = readFileSync(join(SRC, "..", "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Layout of the code"));
  const tree = section.slice(section.indexOf("src/\n"), section.indexOf("```", section.indexOf("src/\n")));

  /** The module names the README's tree gives for each folder (`{a,b}.ts` lists two). */
  function named(): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    let folder = ".";
    for (const line of tree.split("\n").slice(1)) {
      const head = /^ {2}([a-z]+)\/ /.exec(line);
      if (head) folder = head[1]!;
      const names = out.get(folder) ?? new Set<string>();
      for (const m of line.matchAll(/([\w-]+)\.ts\b/g)) names.add(m[1]!);
      for (const m of line.matchAll(/\{([\w,-]+)\}\.ts/g)) for (const n of m[1]!.split(",")) names.add(n);
      out.set(folder, names);
    }
    return out;
  }

  it("names every module of src/ under its folder, and nothing that is not there", () => {
    const actual = new Map<string, Set<string>>();
    for (const f of files) {
      const folder = f.name.includes("/") ? folderOf(f.name) : ".";
      actual.set(folder, (actual.get(folder) ?? new Set()).add(f.name.split("/").at(-1)!.replace(/\.ts$/, "")));
    }
    const sorted = (m: Map<string, Set<string>>) =>
      Object.fromEntries([...m].map(([k, v]) => [k, [...v].sort()]).sort(([a], [b]) => (a! < b! ? -1 : 1)));
    expect(sorted(named())).toEqual(sorted(actual));
  });
});

function findCycle(edges: ReadonlyMap<string, ReadonlySet<string>>): string[] | undefined {
  const state = new Map<string, "visiting" | "done">();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === "done") return undefined;
    if (state.get(node) === "visiting") return [...path.slice(path.indexOf(node)), node];
    state.set(node, "visiting");
    path.push(node);
    for (const next of edges.get(node) ?? []) {
      const found = visit(next);
      if (found) return found;
    }
    path.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of edges.keys()) {
    const found = visit(node);
    if (found) return found;
  }
  return undefined;
}
