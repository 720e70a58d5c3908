import { type LoadedConfig, loadConfig } from "../config/load.js";
import { resolveStoreSettings, type StoreFlags, type StoreSettings } from "../config/settings.js";
import { usageError } from "../errors.js";
import type { Reporter } from "../events.js";
import { openGit } from "../git/cli-git.js";
import type { GitRepository } from "../git/port.js";
import { messages } from "../messages.js";
import { Layout } from "../store/layout.js";
import { openStore } from "../store/open-store.js";
import type { ObjectStore } from "../store/port.js";
import { resolveWorkspaces, type Workspace } from "../workspace/resolve.js";
import type { StorePool } from "./store-pool.js";

export interface ContextOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Store flags (the CLI's, or the Action's inputs); the environment and the config fill in the rest. */
  store: StoreFlags;
  reporter: Reporter;
  /** A configured name or a directory; undefined for the current one. */
  workspace?: string | undefined;
  /** Every configured workspace. */
  all?: boolean | undefined;
  /** Fail instead of using the embedded local store when nothing names a target (CI: it would be thrown away). */
  requireTarget?: boolean | undefined;
  /** A repository the caller has open already (the background publisher); it stays the caller's to close. */
  git?: GitRepository | undefined;
  /** Stores kept open across commands (`wspub watch`); without one, the store is opened and closed here. */
  stores?: StorePool | undefined;
  /** Say so when nothing names a target and the local store is used (a publish; other commands show the target). */
  announceDefault?: boolean | undefined;
}

/** What a command works with: the repository, its config, the workspaces it names, and the store, opened once. */
export interface Context {
  git: GitRepository;
  loaded: LoadedConfig;
  workspaces: Workspace[];
  settings: StoreSettings;
  store: ObjectStore;
  /** Every key of a workspace at the target. */
  layout(workspace: Workspace): Layout;
}

/** Opens the repository, config, settings and store for a command, runs it, and closes them. */
export async function withContext<T>(o: ContextOptions, fn: (ctx: Context) => Promise<T>): Promise<T> {
  const found = await resolveWorkspaces(o.workspace, { cwd: o.cwd, all: o.all ?? false, git: o.git });
  try {
    for (const message of found.loaded.warnings) o.reporter.event({ type: "warning", message });
    return await withStore(o, found.git.root, found.loaded, o.announceDefault ?? false, async (settings, store) =>
      fn({ ...found, settings, store, layout: (w) => new Layout(settings.target, w.name, settings.layout) }),
    );
  } finally {
    if (o.git === undefined) await found.git.close();
  }
}

/**
 * Opens the store a command addresses without naming a workspace (`wspub ls`): the repository's
 * config counts when there is one, but none is needed.
 */
export async function withTarget<T>(
  o: Omit<ContextOptions, "workspace" | "all" | "git">,
  fn: (settings: StoreSettings, store: ObjectStore) => Promise<T>,
): Promise<T> {
  const git = await openGit(o.cwd).catch(() => undefined);
  let loaded: LoadedConfig = { config: {}, file: undefined, warnings: [] };
  try {
    if (git) loaded = await loadConfig(git.root);
  } finally {
    await git?.close();
  }
  return withStore(o, git?.root ?? o.cwd, loaded, false, fn);
}

async function withStore<T>(
  o: Omit<ContextOptions, "workspace" | "all" | "git">,
  repoRoot: string,
  loaded: LoadedConfig,
  announceDefault: boolean,
  fn: (settings: StoreSettings, store: ObjectStore) => Promise<T>,
): Promise<T> {
  const settings = resolveStoreSettings(o.store, o.env, loaded.config, { cwd: o.cwd, repoRoot });
  if (settings.isDefault && o.requireTarget) throw usageError(messages.noTarget);
  if (settings.isDefault && announceDefault)
    o.reporter.event({ type: "notice", message: messages.defaultStore(settings.target.url) });
  const options = { concurrency: settings.concurrency, env: o.env };
  if (o.stores) return fn(settings, await o.stores.get(settings.target, options));
  const store = await openStore(settings.target, options);
  try {
    return await fn(settings, store);
  } finally {
    store.close();
  }
}
