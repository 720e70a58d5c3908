import { openGit } from "../git/cli-git.js";
import type { GitRepository } from "../git/port.js";
import {
  type HookGroup,
  type HookStatus,
  type HooksReport,
  hooksStatus,
  installHooks,
  uninstallHooks,
} from "../hooks/install.js";
import { type HooksLocation, locateHooks } from "../hooks/locate.js";
import type { Launcher } from "../hooks/script.js";
import { type BackgroundStatus, readBackground } from "../hooks/state.js";

async function inRepository<T>(cwd: string, fn: (git: GitRepository) => Promise<T>): Promise<T> {
  const git = await openGit(cwd);
  try {
    return await fn(git);
  } finally {
    await git.close();
  }
}

/**
 * `wspub hooks install`. A husky hook file is committed and shared: it must not name this
 * machine's node, so it gets no launcher (it calls `wspub` from PATH).
 */
export function installRepositoryHooks(
  cwd: string,
  groups: readonly HookGroup[],
  launcher: Launcher,
): Promise<HooksReport> {
  return inRepository(cwd, async (git) => {
    const husky = (await locateHooks(git)).kind === "husky";
    return installHooks(git, groups, husky ? {} : launcher);
  });
}

export function uninstallRepositoryHooks(cwd: string, groups: readonly HookGroup[]): Promise<HooksReport> {
  return inRepository(cwd, (git) => uninstallHooks(git, groups));
}

/** `wspub hooks status`: where the hooks are, whether installed and current, and the background publisher's log. */
export function repositoryHooksStatus(cwd: string): Promise<{
  location: HooksLocation;
  hooks: HookStatus[];
  current: boolean;
  background: BackgroundStatus | undefined;
}> {
  return inRepository(cwd, async (git) => ({ ...(await hooksStatus(git)), background: await readBackground(git) }));
}
