import { existsSync } from "node:fs";
import { open, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { loadConfig } from "../config/load.js";
import type { Reporter } from "../events.js";
import { openGit } from "../git/cli-git.js";
import type { GitRepository } from "../git/port.js";
import { HOOK_BUSY_WAIT_MS, HOOK_QUIET_MS } from "../limits.js";
import { pushWorkspaces } from "./push.js";
import { branchMatches, currentBranch, defaultBranch, inReflog } from "../hooks/branches.js";
import { appendLog, clearErrors, hookState, writeAtomic, type HookState, type LastResult } from "../hooks/state.js";
import type { HookName } from "../hooks/script.js";

export interface WorkerOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  hook: HookName;
  /** pre-push: the hook's standard input, `<local ref> <local sha> <remote ref> <remote sha>` per line. */
  updates?: string | undefined;
}

interface Request {
  hook: HookName;
  /** "HEAD", or the pushed commit. */
  ref: string;
  branch?: string | undefined;
  at: number;
}

/** How long a request must stay the newest before it is published: a burst of commits ends first. */
const quietMs = (env: NodeJS.ProcessEnv) => Number(env["WSPUB_HOOK_QUIET_MS"] ?? HOOK_QUIET_MS);
const ZERO = /^0+$/;

/**
 * The background half of the hooks. Every run records its request in pending.json (the newest
 * wins), then tries to take the repository's lock. The lock holder publishes the newest request
 * once it has been quiet for a moment and no rebase/cherry-pick is in progress, and loops while
 * new requests arrive; the others just leave. So a burst publishes its final commit, and two
 * publishes never run at once in one repository.
 */
export async function runHookWorker(o: WorkerOptions): Promise<void> {
  const git = await openGit(o.cwd);
  const state = await hookState(git);
  try {
    await work(git, state, o);
  } catch (e) {
    // Nobody sees this process's output: the log and last-error are how a failure is reported.
    const message = `${(e as Error).message ?? String(e)}`;
    await appendLog(state, `${o.hook}: FAILED: ${message}`);
    await writeAtomic(state.lastError, `${message}\n`);
    throw e;
  } finally {
    await git.close();
  }
}

async function work(git: GitRepository, state: HookState, o: WorkerOptions): Promise<void> {
  const request = await requestFor(git, o);
  if (!request) {
    await appendLog(state, `${o.hook}: no configured branch in this push; nothing to publish`);
    return;
  }
  await writeAtomic(state.pending, JSON.stringify(request));
  for (;;) {
    if (!(await tryLock(state))) return; // the holder will see our request
    try {
      // Late hook runs of a burst ask again for the commit just published: not twice.
      const published = new Set<string>();
      for (;;) {
        const next = await takeWhenQuiet(git, state, quietMs(o.env));
        if (!next) break;
        await publishRequest(git, state, next, o.env, published);
      }
    } finally {
      await rm(state.lock, { force: true });
    }
    // A request written after our last look but before we let go of the lock.
    if (!existsSync(state.pending)) return;
  }
}

async function requestFor(git: GitRepository, o: WorkerOptions): Promise<Request | undefined> {
  const at = Date.now();
  if (o.hook === "post-commit" || !o.updates?.trim()) return { hook: o.hook, ref: "HEAD", at };
  const branches = await configuredBranches(git);
  let chosen: Request | undefined;
  for (const line of o.updates.split("\n")) {
    const [localRef, localSha] = line.trim().split(/\s+/);
    if (!localRef?.startsWith("refs/heads/") || !localSha || ZERO.test(localSha)) continue;
    const branch = localRef.slice("refs/heads/".length);
    if (branchMatches(branch, branches)) chosen = { hook: o.hook, ref: localSha, branch, at };
  }
  return chosen;
}

async function configuredBranches(git: GitRepository): Promise<string[]> {
  const { config } = await loadConfig(git.root);
  return config.branches ?? [await defaultBranch(git)];
}

async function tryLock(state: HookState): Promise<boolean> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(state.lock, "wx");
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const pid = Number((await readFile(state.lock, "utf8").catch(() => "")).trim());
      if (pid > 0 && alive(pid)) return false;
      await appendLog(state, `removing a stale lock (pid ${pid || "unknown"} is gone)`);
      await rm(state.lock, { force: true });
    }
  }
  return false;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Waits until the newest request is `quiet` ms old and git is not in the middle of a rebase or
 * cherry-pick, then takes it.
 */
async function takeWhenQuiet(git: GitRepository, state: HookState, quiet: number): Promise<Request | undefined> {
  const gitDir = await git.gitDir();
  const deadline = Date.now() + HOOK_BUSY_WAIT_MS;
  for (;;) {
    const text = await readFile(state.pending, "utf8").catch(() => undefined);
    if (text === undefined) return undefined;
    const request = JSON.parse(text) as Request;
    // The hook script touches `requested` before node even starts, so a commit whose worker is
    // still starting already counts as activity.
    const touched = (await stat(state.requested).catch(() => undefined))?.mtimeMs ?? 0;
    const age = Date.now() - Math.max(request.at, touched);
    if (age < quiet) {
      await sleep(quiet - age);
      continue;
    }
    const busy = ["rebase-merge", "rebase-apply", "sequencer", "CHERRY_PICK_HEAD", "REVERT_HEAD"].some((f) =>
      existsSync(join(gitDir, f)),
    );
    if (busy && Date.now() < deadline) {
      await sleep(quiet);
      continue;
    }
    // Take it only if nobody replaced it meanwhile.
    if ((await readFile(state.pending, "utf8").catch(() => undefined)) !== text) continue;
    await rm(state.pending, { force: true });
    return request;
  }
}

async function publishRequest(
  git: GitRepository,
  state: HookState,
  request: Request,
  env: NodeJS.ProcessEnv,
  published: Set<string>,
): Promise<void> {
  const log = (line: string) => appendLog(state, `${request.hook}: ${line}`);
  const branch = request.branch ?? (await currentBranch(git));
  const branches = await configuredBranches(git);
  if (!branch || !branchMatches(branch, branches)) {
    await log(
      `${branch ? `branch ${branch}` : "detached HEAD"} is not one of the configured branches ` +
        `(${branches.join(", ")}); not published`,
    );
    return;
  }
  const sha = (await git.resolveCommit(request.ref)).oid;
  if (published.has(sha)) return;
  const { config } = await loadConfig(git.root);
  const pending: Promise<void>[] = [];
  const reporter: Reporter = {
    event(e) {
      if (e.type === "notice" || e.type === "warning") pending.push(log(`${e.type}: ${e.message}`));
    },
  };
  const result: LastResult = { ok: false, at: new Date().toISOString(), hook: request.hook, commit: sha, message: "" };
  await log(`publishing ${branch} ${sha.slice(0, 12)}`);
  try {
    const results = await pushWorkspaces({
      cwd: git.root,
      git,
      env,
      all: Object.keys(config.workspaces ?? {}).length > 0,
      ref: sha,
      store: {},
      reporter,
      replaceable: (live) => inReflog(git, branch, live),
    });
    result.ok = true;
    published.add(sha);
    result.message = results
      .map(
        (r) =>
          `${r.workspace} ${r.commit.slice(0, 12)}: ` +
          `${r.noop ? "already live" : `${r.uploaded} uploaded, ${r.copied} copied, ${r.deleted} deleted`}`,
      )
      .join("; ");
    await Promise.all(pending);
    await log(`published ${branch} ${result.message}`);
    await clearErrors(state);
  } catch (e) {
    result.message = (e as Error).message;
    await Promise.all(pending);
    await log(`FAILED ${branch} ${sha.slice(0, 12)}: ${result.message}`);
    await writeAtomic(state.lastError, `${result.message}\n`);
  }
  await writeAtomic(state.lastResult, JSON.stringify(result, null, 2));
}
