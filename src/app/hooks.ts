import { openGit } from "../git/cli-git.js";
import type { GitRepository } from "../git/port.js";
import { type HookStatus, type HooksReport, hooksStatus, installHooks, uninstallHooks } from "../hooks/install.js";
import { type HooksLocation, locateHooks } from "../hooks/locate.js";
import type { HookName, Launcher } from "../hooks/script.js";
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
  hooks: readonly HookName[],
  launcher: Launcher,
): Promise<HooksReport> {
  return inRepository(cwd, async (git) => {
    const husky = (await locateHooks(git)).kind === "husky";
    return installHooks(git, hooks, husky ? {} : launcher);
  });
}

export function uninstallRepositoryHooks(cwd: string, hooks: readonly HookName[]): Promise<HooksReport> {
  return inRepository(cwd, (git) => uninstallHooks(git, hooks));
}

/** `wspub hooks status`: where the hooks are, whether installed, and the background publisher's log. */
export function repositoryHooksStatus(
  cwd: string,
  hooks: readonly HookName[],
): Promise<{ location: HooksLocation; hooks: HookStatus[]; background: BackgroundStatus | undefined }> {
  return inRepository(cwd, async (git) => ({
    ...(await hooksStatus(git, hooks)),
    background: await readBackground(git),
  }));
}
