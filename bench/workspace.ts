// Workspace generator: a git repository that looks like a real source workspace, generated
// deterministically from a seed.
//
//   - `files` tracked files in nested directories (depth 1-7, ~15 files per directory):
//       ~95% source/text files of 200 B - 8 KB (log-uniform), ~4% larger text/data files of
//       8 - 64 KB (lock files, fixtures, docs), ~1% binary assets of 100 KB - 2 MB (random bytes);
//     every file's content is unique (a header line names it), text is code-like and compresses
//     like code, assets do not compress;
//   - an untracked, ignored node_modules/ (30% as many files as tracked, at most 30,000), so that
//     tools that walk the directory instead of reading the commit have to skip it;
//   - one commit on branch main (git add -A; gc/maintenance off, identity set locally), its
//     objects then packed as in a clone (the incremental commits add loose objects, as usual).
//
// Names join words with "_", never "-" or ".", after a directory's name: SeaweedFS lists keys in
// its directory order ("app/x" before "app-y"), not in S3's byte order ("app-y" before "app/x"),
// and `aws s3 sync`, which merges two sorted lists, then deletes objects that exist locally
// (seen: 11 of 1,000 lost in one incremental sync). With "_" (after "/") both orders agree, so
// every peer does correct work here; bench/run.ts still checks each peer's prefix afterwards.
//
// `editFiles()` changes some tracked text files and commits, for incremental publishes.

import { execFileSync } from "node:child_process";
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes, rng, type Rng } from "./prng.ts";

export interface WorkspaceOptions {
  /** Directory to create the repository in (must not exist or be empty). */
  dir: string;
  files: number;
  seed: number;
  /** Ignored files under node_modules/ (default: 30% of `files`, at most 30,000). */
  nodeModules?: number;
}

export type FileKind = "source" | "data" | "asset";

export interface GeneratedFile {
  path: string;
  size: number;
  kind: FileKind;
}

export interface Workspace {
  dir: string;
  seed: number;
  files: GeneratedFile[];
  trackedBytes: number;
  ignoredFiles: number;
  ignoredBytes: number;
  head: string;
  generateMs: number;
  git(...args: string[]): string;
}

/** git without the user's global/system configuration, with a fixed identity. */
export const GIT_ENV: Record<string, string> = {
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_AUTHOR_NAME: "wspub bench",
  GIT_AUTHOR_EMAIL: "bench@example.invalid",
  GIT_COMMITTER_NAME: "wspub bench",
  GIT_COMMITTER_EMAIL: "bench@example.invalid",
};

const WORDS = (
  "app core api auth cache client config data db event form hook http io job layout lib log " +
  "model net page parser plugin query queue router schema server service session shared state " +
  "store stream style task theme token ui user util view widget worker admin billing cart chart " +
  "editor feed graph icon image index list map menu modal panel search table tabs toast tree " +
  "upload account order payment profile report settings signup team"
).split(" ");

// Directory names only: none of them may be excluded by wspub's defaults (dist/, build/, vendor/...).
const TOP_DIRS = ["packages", "apps", "libs", "docs", "tools", "services", "e2e", "scripts"];

const TEXT_EXTS = [".ts", ".ts", ".ts", ".tsx", ".js", ".json", ".md", ".css", ".html", ".yml", ".py", ".go", ".sql"];
const DATA_EXTS = [".json", ".md", ".csv", ".snap", ".svg"];
const ASSET_EXTS = [".png", ".jpg", ".woff2", ".pdf", ".mp3", ".wasm"];

const IDENTS = [
  "const",
  "let",
  "return",
  "function",
  "import",
  "export",
  "if",
  "else",
  "await",
  "async",
  "for",
  "of",
  "new",
  "this",
  "value",
  "result",
  "options",
  "items",
  "index",
  "key",
  "error",
  "name",
  "type",
  "props",
  "state",
  "ctx",
  "req",
  "res",
  "next",
  "config",
  "data",
  "id",
  "path",
  "count",
  "list",
];

/** ~1 MiB of code-like lines that file contents are cut from. */
function textPool(r: Rng): string {
  const lines: string[] = [];
  let size = 0;
  while (size < 1 << 20) {
    const indent = "  ".repeat(r.int(0, 4));
    const n = r.int(2, 12);
    const words: string[] = [];
    for (let i = 0; i < n; i++) words.push(r.next() < 0.6 ? r.pick(IDENTS) : `${r.pick(WORDS)}${r.int(0, 99)}`);
    const line = `${indent}${words.join(r.next() < 0.5 ? " " : ", ")}${r.next() < 0.7 ? ";" : " {"}\n`;
    lines.push(line);
    size += line.length;
  }
  return lines.join("");
}

function textContent(pool: string, r: Rng, header: string, size: number): Buffer {
  const head = `// ${header}\n`;
  const want = Math.max(0, size - Buffer.byteLength(head));
  const start = r.int(0, pool.length - 1);
  let body = pool.slice(start, start + want);
  while (body.length < want) body += pool.slice(0, want - body.length);
  return Buffer.from(head + body);
}

/** Generates the repository and commits it. */
export function generateWorkspace(options: WorkspaceOptions): Workspace {
  const started = performance.now();
  const { dir, files: count, seed } = options;
  const r = rng(seed, 1);
  const pool = textPool(rng(seed, 2));
  mkdirSync(dir, { recursive: true });
  const git = (...args: string[]) =>
    execFileSync("git", args, { cwd: dir, env: { ...process.env, ...GIT_ENV }, encoding: "utf8", maxBuffer: 1 << 28 });
  git("init", "-q", "-b", "main");
  for (const [k, v] of [
    ["user.name", "wspub bench"],
    ["user.email", "bench@example.invalid"],
    ["gc.auto", "0"],
    ["maintenance.auto", "false"],
    ["core.autocrlf", "false"],
    ["commit.gpgsign", "false"],
  ] as const) {
    git("config", k, v);
  }

  // Directory tree: grow from the top-level directories, preferring shallow parents.
  const dirs: { path: string; depth: number }[] = TOP_DIRS.map((d) => ({ path: d, depth: 1 }));
  const dirCount = Math.max(TOP_DIRS.length, Math.ceil(count / 15));
  const seen = new Set(dirs.map((d) => d.path));
  while (dirs.length < dirCount) {
    const parent = dirs[Math.floor(r.next() ** 1.5 * dirs.length)]!;
    if (parent.depth >= 7) continue;
    let path = `${parent.path}/${r.pick(WORDS)}`;
    if (seen.has(path)) path = `${path}_${r.int(2, 999)}`;
    if (seen.has(path)) continue;
    seen.add(path);
    dirs.push({ path, depth: parent.depth + 1 });
  }

  const files: GeneratedFile[] = [];
  const names = new Set<string>();
  const fixed: [string, string][] = [
    [".gitignore", "node_modules/\n*.log\n.cache/\n"],
    ["README.md", `# bench workspace\n\nGenerated by bench/workspace.ts (seed ${seed}, ${count} files).\n`],
    ["package.json", `${JSON.stringify({ name: "bench-workspace", version: "1.0.0", private: true }, null, 2)}\n`],
  ];
  for (const [path, text] of fixed) {
    writeFileSync(join(dir, path), text);
    names.add(path);
    files.push({ path, size: Buffer.byteLength(text), kind: "source" });
  }
  for (const d of dirs) mkdirSync(join(dir, d.path), { recursive: true });
  let trackedBytes = files.reduce((s, f) => s + f.size, 0);
  const byteRng = rng(seed, 3);
  while (files.length < count) {
    const d = r.pick(dirs).path;
    const roll = r.next();
    const kind: FileKind = roll < 0.01 ? "asset" : roll < 0.05 ? "data" : "source";
    const ext = r.pick(kind === "asset" ? ASSET_EXTS : kind === "data" ? DATA_EXTS : TEXT_EXTS);
    let path = `${d}/${r.pick(WORDS)}_${r.pick(WORDS)}${ext}`;
    if (names.has(path)) path = `${d}/${r.pick(WORDS)}_${r.pick(WORDS)}_${files.length}${ext}`;
    if (names.has(path)) continue;
    names.add(path);
    const size =
      kind === "asset"
        ? r.logInt(100 * 1024, 2 * 1024 * 1024)
        : kind === "data"
          ? r.logInt(8 * 1024, 64 * 1024)
          : r.logInt(200, 8 * 1024);
    const body =
      kind === "asset" ? randomBytes(byteRng, size) : textContent(pool, r, `${path} (${files.length})`, size);
    writeFileSync(join(dir, path), body);
    files.push({ path, size: body.length, kind });
    trackedBytes += body.length;
  }

  // Ignored: node_modules/<pkg>/{package.json,index.js,lib/*.js}.
  const ignored = options.nodeModules ?? Math.min(30_000, Math.round(count * 0.3));
  let ignoredBytes = 0;
  for (let i = 0, pkg = 0; i < ignored; pkg++) {
    const base = join(dir, "node_modules", `${r.pick(WORDS)}-${r.pick(WORDS)}-${pkg}`);
    mkdirSync(join(base, "lib"), { recursive: true });
    const manifest = `${JSON.stringify({ name: `pkg-${pkg}`, version: `1.${pkg}.0`, main: "index.js" })}\n`;
    writeFileSync(join(base, "package.json"), manifest);
    ignoredBytes += manifest.length;
    i++;
    const inPkg = Math.min(ignored - i, r.int(2, 40));
    for (let j = 0; j < inPkg; j++, i++) {
      const body = textContent(pool, r, `node_modules ${pkg}/${j}`, r.logInt(200, 16 * 1024));
      writeFileSync(join(base, j === 0 ? "index.js" : `lib/${r.pick(WORDS)}-${j}.js`), body);
      ignoredBytes += body.length;
    }
  }
  writeFileSync(join(dir, "debug.log"), "ignored log\n");

  git("add", "-A");
  commit(dir, "initial workspace", 0);
  // Objects in a pack, as in a clone: `git ls-tree -l` (which wspub runs) reads each blob's size,
  // and 100k loose objects make that 15x slower (1.5 s instead of 0.1 s) than any real checkout.
  // No delta search (--window=0): what matters here is where objects are, not the pack's size.
  git("repack", "-a", "-d", "-q", "--window=0");
  const head = git("rev-parse", "HEAD").trim();
  const tracked = Number(git("ls-files", "-z").split("\0").filter(Boolean).length);
  if (tracked !== files.length) throw new Error(`generated ${files.length} files but git tracks ${tracked}`);
  return {
    dir,
    seed,
    files,
    trackedBytes,
    ignoredFiles: ignored,
    ignoredBytes,
    head,
    generateMs: performance.now() - started,
    git,
  };
}

const BASE_TIME = 1_700_000_000;

function commit(dir: string, message: string, tick: number): void {
  const date = `${BASE_TIME + tick * 60} +0000`;
  execFileSync("git", ["commit", "-q", "--no-verify", "-m", message], {
    cwd: dir,
    env: { ...process.env, ...GIT_ENV, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
  });
}

let editRound = 0;

/**
 * Changes `count` distinct tracked text files (appends a line to each) and commits.
 * Deterministic for a given workspace seed and call order. Returns the new HEAD.
 */
export function editFiles(ws: Workspace, count: number): { head: string; paths: string[] } {
  editRound++;
  const r = rng(ws.seed, 1000 + editRound);
  const candidates = ws.files.filter((f) => f.kind !== "asset" && f.path !== ".gitignore");
  if (count > candidates.length) throw new Error(`cannot edit ${count} of ${candidates.length} text files`);
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(r.int(0, candidates.length - 1));
  const paths = [...chosen].map((i) => candidates[i]!.path);
  for (const p of paths) {
    const line = `// edit ${editRound}\n`;
    appendFileSync(join(ws.dir, p), line);
    const f = ws.files.find((x) => x.path === p)!;
    f.size += line.length;
  }
  ws.git("add", "-A");
  commit(ws.dir, `edit ${count} file(s), round ${editRound}`, editRound);
  ws.head = ws.git("rev-parse", "HEAD").trim();
  return { head: ws.head, paths };
}
