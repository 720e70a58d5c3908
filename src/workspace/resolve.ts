import { realpath, stat } from "node:fs/promises";
import { basename, relative, resolve, sep } from "node:path";
import { openGit } from "../git/cli-git.js";
import type { GitRepository } from "../git/port.js";
import { loadConfig, type LoadedConfig } from "../config/load.js";
import { usageError } from "../errors.js";
import { messages } from "../messages.js";
import { validateWorkspaceName } from "../store/layout.js";

export interface Workspace {
  /** Its name in the bucket. */
  name: string;
  /** Repository-relative directory, "" for the repository root. */
  dir: string;
}

export interface WorkspaceContext {
  git: GitRepository;
  loaded: LoadedConfig;
  workspaces: Workspace[];
}

const toPosix = (p: string) => p.split(sep).join("/");
const normalizeDir = (p: string) =>
  toPosix(p)
    .replace(/^\.\/+/, "")
    .replace(/\/+$/, "")
    .replace(/^\.$/, "");

/**
 * Finds the repository and the workspace(s) a command is about:
 * - a name under "workspaces" in the config;
 * - a directory: a repository root or a folder of one (named by its config key, else its basename);
 * - nothing: the configured workspace that contains the current directory, else the repository root;
 * - `all`: every configured workspace.
 */
export async function resolveWorkspaces(
  arg: string | undefined,
  options: { cwd: string; all?: boolean; git?: GitRepository | undefined },
): Promise<WorkspaceContext> {
  const argDir =
    arg !== undefined && (await isDirectory(resolve(options.cwd, arg))) ? resolve(options.cwd, arg) : undefined;
  // An open repository is used as it is: the caller opened it at `cwd` and closes it.
  const git = options.git ?? (await openGit(argDir ?? options.cwd));
  try {
    const loaded = await loadConfig(git.root);
    const configured = Object.entries(loaded.config.workspaces ?? {}).map(([name, path]) => ({
      name,
      dir: normalizeDir(path),
    }));
    const named = (dir: string): Workspace => {
      const hit = configured.find((w) => w.dir === dir);
      return hit ?? { name: validateWorkspaceName(basename(dir === "" ? git.root : dir)), dir };
    };
    if (options.all) {
      if (arg !== undefined) throw usageError("give either a workspace or --all, not both");
      if (configured.length === 0)
        throw usageError(
          `--all publishes the workspaces configured under "workspaces" in wspub.config.json, and there are none`,
        );
      return { git, loaded, workspaces: configured };
    }
    if (arg !== undefined && argDir === undefined) {
      const hit = configured.find((w) => w.name === arg);
      if (!hit)
        throw usageError(
          messages.unknownWorkspace(
            arg,
            configured.map((w) => w.name),
          ),
        );
      return { git, loaded, workspaces: [hit] };
    }
    const here = await repoRelative(git.root, argDir ?? options.cwd);
    if (argDir !== undefined) return { git, loaded, workspaces: [named(here)] };
    const containing = configured
      .filter((w) => w.dir === "" || here === w.dir || here.startsWith(`${w.dir}/`))
      .sort((a, b) => b.dir.length - a.dir.length)[0];
    return { git, loaded, workspaces: [containing ?? named("")] };
  } catch (e) {
    if (options.git === undefined) await git.close();
    throw e;
  }
}

async function repoRelative(root: string, dir: string): Promise<string> {
  const rel = relative(root, await realpath(dir));
  if (rel.startsWith("..")) throw usageError(`${dir} is not inside the repository ${root}`);
  return normalizeDir(rel);
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}
