import { appendFile, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { GitRepository } from "../git/port.js";
import { HOOK_LOG_MAX_BYTES } from "../limits.js";

/**
 * The background publisher's files, under `<git common dir>/wspub/` (shared by all worktrees, so
 * one repository has one lock):
 *   hook.log          what every background run did (wspub status shows its tail)
 *   lock              held by the one process publishing; holds its pid
 *   pending.json      the latest request; a burst of commits keeps overwriting it
 *   requested         touched by the hook script itself the moment git runs it
 *   last-result.json  the outcome of the last background publish
 *   last-error        one line when it failed; the next commit's hook prints it once
 */
export interface HookState {
  dir: string;
  log: string;
  lock: string;
  pending: string;
  requested: string;
  lastResult: string;
  lastError: string;
  lastErrorShown: string;
}

export async function hookState(git: GitRepository): Promise<HookState> {
  const dir = join(await git.commonDir(), "wspub");
  await mkdir(dir, { recursive: true });
  return {
    dir,
    log: join(dir, "hook.log"),
    lock: join(dir, "lock"),
    pending: join(dir, "pending.json"),
    requested: join(dir, "requested"),
    lastResult: join(dir, "last-result.json"),
    lastError: join(dir, "last-error"),
    lastErrorShown: join(dir, "last-error.shown"),
  };
}

export async function appendLog(state: HookState, line: string): Promise<void> {
  await mkdir(state.dir, { recursive: true });
  const size = (await stat(state.log).catch(() => undefined))?.size ?? 0;
  if (size > HOOK_LOG_MAX_BYTES) {
    const text = await readFile(state.log, "utf8");
    await writeFile(state.log, text.slice(text.length / 2));
  }
  await appendFile(state.log, `${new Date().toISOString()} [${process.pid}] ${line}\n`);
}

export async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

export interface LastResult {
  ok: boolean;
  at: string;
  hook: string;
  commit: string | null;
  message: string;
  /** The branch it published to its preview; absent when it published the workspace itself. */
  preview?: string | undefined;
  /** Where it published (the target's URL with its prefix), when it got that far. */
  target?: string | undefined;
}

export interface BackgroundStatus {
  log: string;
  last: LastResult | undefined;
  /** The failure not yet shown by a commit, or already shown. */
  error: string | undefined;
  tail: string[];
}

export async function readBackground(git: GitRepository, lines = 5): Promise<BackgroundStatus | undefined> {
  const state = await hookState(git);
  const log = await readFile(state.log, "utf8").catch(() => undefined);
  if (log === undefined) return undefined;
  const last = await readFile(state.lastResult, "utf8")
    .then((t) => JSON.parse(t) as LastResult)
    .catch(() => undefined);
  const error =
    (await readFile(state.lastError, "utf8").catch(() => undefined)) ??
    (await readFile(state.lastErrorShown, "utf8").catch(() => undefined));
  return { log: state.log, last, error: error?.trim(), tail: log.trimEnd().split("\n").slice(-lines) };
}

export async function clearErrors(state: HookState): Promise<void> {
  await rm(state.lastError, { force: true });
  await rm(state.lastErrorShown, { force: true });
}
