import type { LayoutStyle } from "../store/layout.js";
import { createHash } from "node:crypto";
import ignore from "ignore";
import type { GitReader } from "../git/port.js";
import type { GitMode, TreeEntry } from "../git/parse.js";
import { DEFAULT_EXCLUDES, NPMRC_CREDENTIALS, SECRET_EXCLUDES } from "./excludes.js";
import { CREDENTIAL_RULES } from "./credentials.js";
import { parseIgnoreFile, rulesFromList, type Rule } from "./rules.js";
import type { IgnoreSource } from "../manifest/sharded.js";
import type { AttributeSource } from "../git/attributes.js";
import { ancestorAttributeFiles, attributeSourcesOf, isAttributeFile, type LfsMode, withLfsContent } from "./lfs.js";

export interface PublishFile {
  /** Path relative to the workspace root. */
  path: string;
  mode: GitMode;
  /** The git blob id; for a Git LFS file published as its content, `lfs:<sha256>` (git/lfs-pointer.ts). */
  oid: string;
  /** Bytes published (an LFS file's: its content's). */
  size: number;
  /** An LFS file published as its content: the blob id of the pointer git stores. */
  pointer?: string;
  /** Re-included with `!` in `.wspubignore` or the config's excludes: published as is, not scanned for credentials. */
  allowed?: true;
}

export interface ExcludedFile {
  path: string;
  /** The rule that excluded it, e.g. `.gitignore:3: secret-keys/` or `submodule`. */
  reason: string;
}

export interface PublishSet {
  files: PublishFile[];
  excluded: ExcludedFile[];
  /** Gitlinks: skipped, reported as a notice. */
  submodules: string[];
  /** The ignore files the set was filtered with, in precedence order. */
  ignore: IgnoreSource[];
  /** The `.gitattributes` files that decide which files are Git LFS files. */
  attributes: AttributeSource[];
  /** Files under `filter=lfs` whose blob starts like a pointer wspub cannot read: published as they are. */
  unreadableLfs: string[];
}

const base = (dir: string) => (dir === "" ? "" : `${dir}/`);
const depth = (path: string) => path.split("/").length;

/**
 * The publish set: tracked blobs at `commit` under `wsDir`, minus the default excludes, the
 * commit's own `.gitignore` files (including those of the directories above the workspace), the
 * workspace's `.dockerignore`, the config's excludes and `.wspubignore`, in that order of
 * precedence. Everything is read from the commit, never from the working tree.
 */
export async function buildPublishSet(
  git: GitReader,
  commit: string,
  wsDir: string,
  extraExcludes: readonly string[] = [],
  lfs: LfsMode = "content",
): Promise<PublishSet> {
  const entries = await git.listTree(commit, wsDir);
  const wsBase = base(wsDir);
  // Like git (>= 2.32), a .gitignore that is a symlink is not read.
  const isRegular = (e: TreeEntry) => e.type === "blob" && e.mode !== "120000";
  // .gitignore files of the directories above the workspace, then those inside it, shallow first:
  // in git a deeper file takes precedence, and in one matcher the later rule wins.
  const above =
    wsDir === "" ? [] : await git.listPaths(commit, [...ancestorIgnoreFiles(wsDir), ...ancestorAttributeFiles(wsDir)]);
  const nested = entries.filter((e) => isRegular(e) && (e.path === ".gitignore" || e.path.endsWith("/.gitignore")));
  const aboveIgnore = above.filter((e) => isRegular(e) && !isAttributeFile(e.path));
  const sources: IgnoreSource[] = [...aboveIgnore.sort(byDepth), ...nested.sort(byDepth)].map((e) => ({
    path: e.path,
    blob: e.oid,
    kind: "gitignore" as const,
  }));
  for (const [name, kind] of [
    [".dockerignore", "dockerignore"],
    [".wspubignore", "wspubignore"],
  ] as const) {
    const e = entries.find((x) => isRegular(x) && x.path === `${wsBase}${name}`);
    if (e) sources.push({ path: e.path, blob: e.oid, kind });
  }
  const filter = await buildFilter(git, wsDir, sources, extraExcludes);
  const attributes = attributeSourcesOf([...above, ...entries]);
  const set: PublishSet = { files: [], excluded: [], submodules: [], ignore: sources, attributes, unreadableLfs: [] };
  for (const e of entries) {
    const verdict = await filter.classify(e);
    if (verdict.kind === "file") set.files.push(verdict.file);
    else if (verdict.kind === "excluded") set.excluded.push(verdict.excluded);
    else if (verdict.kind === "submodule") {
      set.submodules.push(verdict.path);
      set.excluded.push({ path: verdict.path, reason: "submodule (gitlinks are not published)" });
    }
  }
  const withLfs = await withLfsContent(git, wsDir, attributes, set.files, lfs);
  return { ...set, files: withLfs.files, unreadableLfs: withLfs.unreadable };
}

/** The `.gitignore` paths of the directories above a workspace (repository-relative). */
export function ancestorIgnoreFiles(wsDir: string): string[] {
  return wsDir === "" ? [] : wsDir.split("/").map((_, i, parts) => `${base(parts.slice(0, i).join("/"))}.gitignore`);
}

/** Whether a change to this repository-relative path can change how other paths are filtered (or read: LFS). */
export function isIgnoreSource(path: string, wsDir: string): boolean {
  const wsBase = base(wsDir);
  return (
    isAttributeFile(path) ||
    path === ".gitignore" ||
    path.endsWith("/.gitignore") ||
    path === `${wsBase}.dockerignore` ||
    path === `${wsBase}.wspubignore`
  );
}

const byDepth = (a: TreeEntry, b: TreeEntry) => depth(a.path) - depth(b.path);

export type Verdict =
  | { kind: "file"; file: PublishFile }
  | { kind: "excluded"; excluded: ExcludedFile }
  | { kind: "submodule"; path: string }
  | { kind: "none" };

export interface Filter {
  /** What the filter makes of one tree entry of the commit (repository-relative path, under the workspace). */
  classify(entry: TreeEntry): Promise<Verdict>;
}

/**
 * The filter of a workspace: the default excludes, then the ignore files in `sources` (already in
 * precedence order), with the config's excludes just before `.wspubignore`.
 */
export async function buildFilter(
  git: GitReader,
  wsDir: string,
  sources: readonly IgnoreSource[],
  extraExcludes: readonly string[],
): Promise<Filter> {
  const wsBase = base(wsDir);
  const rules: Rule[] = [
    ...rulesFromList(DEFAULT_EXCLUDES, wsBase, "default"),
    ...rulesFromList(SECRET_EXCLUDES, wsBase, "secret"),
  ];
  let configAdded = false;
  const addConfig = () => {
    if (!configAdded) rules.push(...rulesFromList(extraExcludes, wsBase, "config exclude"));
    configAdded = true;
  };
  for (const source of sources) {
    if (source.kind === "wspubignore") addConfig();
    const dir = source.kind === "gitignore" ? source.path.slice(0, -".gitignore".length) : wsBase;
    rules.push(
      ...parseIgnoreFile(
        await blobText(git, source.blob),
        dir,
        source.path,
        source.kind === "dockerignore" ? "dockerignore" : "gitignore",
      ),
    );
  }
  addConfig();
  // A deliberate allow: a `!` rule of the workspace's own .wspubignore or of the config (not of a .gitignore).
  const isAllow = (r: Rule) => r.source.startsWith(`${wsBase}.wspubignore:`) || r.source.startsWith("config exclude:");
  const allows = ignore({ ignorecase: false }).add(
    rules.filter((r) => r.pattern.startsWith("!") && isAllow(r)).map((r) => r.pattern.slice(1)),
  );
  const matcher = ignore({ ignorecase: false }).add(rules.map((r) => ({ pattern: r.pattern, mark: r.source })));
  return {
    async classify(e: TreeEntry): Promise<Verdict> {
      const path = e.path.slice(wsBase.length);
      if (e.type === "commit") return { kind: "submodule", path };
      if (e.type !== "blob") return { kind: "none" };
      const verdict = matcher.test(e.path);
      if (verdict.ignored)
        return {
          kind: "excluded",
          excluded: { path, reason: verdict.rule?.mark ?? verdict.rule?.pattern ?? "excluded" },
        };
      if (
        (path === ".npmrc" || path.endsWith("/.npmrc")) &&
        !verdict.unignored &&
        NPMRC_CREDENTIALS.test(await blobText(git, e.oid))
      ) {
        return {
          kind: "excluded",
          excluded: { path, reason: "secret: .npmrc with credentials (_authToken/_auth/_password)" },
        };
      }
      const file: PublishFile = { path, mode: e.mode, oid: e.oid, size: e.size };
      if (verdict.unignored && allows.ignores(e.path)) file.allowed = true;
      return { kind: "file", file };
    },
  };
}

/**
 * Digest of what decides the publish set besides the commit: the workspace directory, the default
 * and secret excludes, the config's excludes and this filter's version. Two publishes of one
 * commit with the same digest have the same publish set.
 */
export function filterDigest(
  wsDir: string,
  extraExcludes: readonly string[],
  style: LayoutStyle = "rclone",
  lfs: LfsMode = "content",
): string {
  const inputs = {
    // The s3fs layout names symlinks otherwise and has markers: a manifest of the other is not comparable.
    // (Absent for rclone's, so that the digests of workspaces published before layouts existed stand.)
    ...(style === "s3fs" ? { layout: style } : {}),
    version: FILTER_VERSION,
    wsDir,
    defaults: DEFAULT_EXCLUDES,
    secrets: SECRET_EXCLUDES,
    npmrc: NPMRC_CREDENTIALS.source,
    credentials: CREDENTIAL_RULES,
    extraExcludes,
    lfs,
  };
  return createHash("sha256").update(JSON.stringify(inputs)).digest("hex").slice(0, 32);
}

/**
 * Bump when the filter's behaviour changes in a way the inputs above do not show. 2: Git LFS files
 * are published as their content (a manifest of version 1 may hold their pointers). 3: credentials
 * are recognised by content (a live manifest of version 2 was never scanned: the next publish scans all).
 */
const FILTER_VERSION = 3;

async function blobText(git: GitReader, oid: string): Promise<string> {
  return (await git.readObject(oid))?.toString("utf8") ?? "";
}
