import ignore from "ignore";
import type { GitReader } from "../git/port.js";
import type { GitMode, TreeEntry } from "../git/parse.js";
import { DEFAULT_EXCLUDES, NPMRC_CREDENTIALS, SECRET_EXCLUDES } from "./default-excludes.js";
import { parseIgnoreFile, rulesFromList, type Rule } from "./rules.js";

export interface PublishFile {
  /** Path relative to the workspace root. */
  path: string;
  mode: GitMode;
  oid: string;
  size: number;
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
): Promise<PublishSet> {
  const entries = await git.listTree(commit, wsDir);
  const wsBase = base(wsDir);
  const rules: Rule[] = [...rulesFromList(DEFAULT_EXCLUDES, wsBase, "default"), ...rulesFromList(SECRET_EXCLUDES, wsBase, "secret")];

  // .gitignore files of the directories above the workspace, then those inside it, shallow first:
  // in git a deeper file takes precedence, and in one matcher the later rule wins.
  const ancestors = wsDir === "" ? [] : wsDir.split("/").map((_, i, parts) => base(parts.slice(0, i).join("/")));
  // Like git (>= 2.32), a .gitignore that is a symlink is not read.
  const isRegular = (e: TreeEntry) => e.type === "blob" && e.mode !== "120000";
  const above = ancestors.length === 0 ? [] : await git.listPaths(commit, ancestors.map((dir) => `${dir}.gitignore`));
  for (const e of above.filter(isRegular).sort((a, b) => depth(a.path) - depth(b.path))) {
    const dir = e.path.slice(0, -".gitignore".length);
    rules.push(...parseIgnoreFile(await blobText(git, e.oid), dir, e.path, "gitignore"));
  }
  const nested = entries
    .filter((e) => isRegular(e) && (e.path === ".gitignore" || e.path.endsWith("/.gitignore")))
    .sort((a, b) => depth(a.path) - depth(b.path));
  for (const e of nested) {
    const dir = e.path.slice(0, -".gitignore".length);
    rules.push(...parseIgnoreFile(await blobText(git, e.oid), dir, e.path, "gitignore"));
  }
  const atRoot = (name: string) => entries.find((e) => isRegular(e) && e.path === `${wsBase}${name}`);
  const dockerignore = atRoot(".dockerignore");
  if (dockerignore) {
    rules.push(...parseIgnoreFile(await blobText(git, dockerignore.oid), wsBase, dockerignore.path, "dockerignore"));
  }
  rules.push(...rulesFromList(extraExcludes, wsBase, "config exclude"));
  const wspubignore = atRoot(".wspubignore");
  if (wspubignore) {
    rules.push(...parseIgnoreFile(await blobText(git, wspubignore.oid), wsBase, wspubignore.path, "gitignore"));
  }

  const matcher = ignore({ ignorecase: false }).add(rules.map((r) => ({ pattern: r.pattern, mark: r.source })));
  const set: PublishSet = { files: [], excluded: [], submodules: [] };
  for (const e of entries) {
    const path = e.path.slice(wsBase.length);
    if (e.type === "commit") {
      set.submodules.push(path);
      set.excluded.push({ path, reason: "submodule (gitlinks are not published)" });
      continue;
    }
    if (e.type !== "blob") continue;
    const verdict = matcher.test(e.path);
    if (verdict.ignored) {
      set.excluded.push({ path, reason: verdict.rule?.mark ?? verdict.rule?.pattern ?? "excluded" });
      continue;
    }
    if ((path === ".npmrc" || path.endsWith("/.npmrc")) && !verdict.unignored && NPMRC_CREDENTIALS.test(await blobText(git, e.oid))) {
      set.excluded.push({ path, reason: "secret: .npmrc with credentials (_authToken/_auth/_password)" });
      continue;
    }
    set.files.push({ path, mode: e.mode, oid: e.oid, size: e.size });
  }
  return set;
}

async function blobText(git: GitReader, oid: string): Promise<string> {
  return (await git.readObject(oid))?.toString("utf8") ?? "";
}
