import { existsSync } from "node:fs";
import { readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { loadConfig } from "../config/load.js";
import { type RetryPolicy, resolveRetryPolicy, retryDelay } from "../config/retry.js";
import { isRetryable } from "../errors.js";
import type { Reporter } from "../events.js";
import { openGit } from "../git/cli-git.js";
import type { GitRepository } from "../git/port.js";
import { branchRules, currentBranch, inReflog, publishedAs } from "../hooks/branches.js";
import type { HookName } from "../hooks/script.js";
import { appendLog, clearErrors, type HookState, hookState, type LastResult, writeAtomic } from "../hooks/state.js";
import { tryLock } from "../hooks/publisher-lock.js";
import { HOOK_BUSY_WAIT_MS, HOOK_QUIET_MS } from "../limits.js";
import { type Request, requestFor } from "./hook-requests.js";
import { pushWorkspaces } from "./push.js";

export interface WorkerOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  hook: HookName;
  /** reference-transaction and pre-push: the lines git gave the hook on its standard input. */
  updates?: string | undefined;
  /** When git ran the hook (ms); the publisher may start much later on a busy machine. */
  at?: number | undefined;
}

/** How long a request must stay the newest before it is published: a burst of commits ends first. */
const quietMs = (env: NodeJS.ProcessEnv) => Number(env["WSPUB_HOOK_QUIET_MS"] ?? HOOK_QUIET_MS);

/**
 * The background half of the hooks. Every run records its request in pending.json (the newest
 * wins), then tries to take the repository's lock. The lock holder publishes the newest request
 * once it has been quiet for a moment and no rebase/cherry-pick is in progress, and loops while
 * new requests arrive; the others just leave. So a burst publishes its final commit, and two
 * publishes never run at once in one repository. A publish that fails in a way retrying can fix
 * is retried with backoff until it succeeds, a newer request replaces it, or the retry time runs out.
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

/** The request waiting in pending.json, if any (unreadable: none). */
async function readPending(state: HookState): Promise<Request | undefined> {
  const text = await readFile(state.pending, "utf8").catch(() => undefined);
  try {
    return text === undefined ? undefined : (JSON.parse(text) as Request);
  } catch {
    return undefined;
  }
}

async function work(git: GitRepository, state: HookState, o: WorkerOptions): Promise<void> {
  const request = await requestFor(git, o.hook, o.updates, o.at);
  if (!request) {
    const what = o.hook === "pre-push" ? "in this push" : "moved";
    await appendLog(state, `${o.hook}: no configured branch ${what}; nothing to publish`);
    return;
  }
  // One request waits at a time (the newest); a preview's never replaces the workspace's own, which
  // then goes first (the preview branch's tip is published on its next move).
  const waiting = request.preview ? await readPending(state) : undefined;
  if (waiting && !waiting.preview) {
    await appendLog(state, `${o.hook}: ${request.branch}'s preview waits: the workspace's own publish is pending`);
  } else await writeAtomic(state.pending, JSON.stringify(request));
  const policy = resolveRetryPolicy(o.env, (await loadConfig(git.root)).config);
  for (;;) {
    if (!(await tryLock(state))) return; // the holder will see our request
    try {
      // Late hook runs of a burst ask again for the commit just published: not twice.
      const published = new Set<string>();
      for (;;) {
        const next = await takeWhenQuiet(git, state, quietMs(o.env));
        if (!next) break;
        await publishUntilLive(git, state, next, o.env, policy, published);
      }
    } finally {
      await rm(state.lock, { force: true });
    }
    // A request written after our last look but before we let go of the lock.
    if (!existsSync(state.pending)) return;
  }
}

/**
 * Publishes a request, retrying a failure that can pass (the endpoint down, a 5xx, a timeout,
 * credentials being renewed) after the policy's delays. A newer request ends the retries: the
 * caller publishes that one instead. Each failure is logged and kept in last-error, which the next
 * git command prints once and `wspub status` shows, until a publish succeeds.
 */
async function publishUntilLive(
  git: GitRepository,
  state: HookState,
  request: Request,
  env: NodeJS.ProcessEnv,
  policy: RetryPolicy,
  published: Set<string>,
): Promise<void> {
  const firstFailure = Date.now();
  for (let attempt = 1; ; attempt++) {
    const failure = await publishRequest(git, state, request, env, published);
    if (failure === undefined || !isRetryable(failure)) return;
    const message = (failure as Error).message;
    const delay = retryDelay(policy, attempt);
    const log = (line: string) => appendLog(state, `${request.hook}: ${line}`);
    if (Date.now() + delay - firstFailure > policy.maxMs) {
      const minutes = Math.round(policy.maxMs / 60_000);
      await writeAtomic(
        state.lastError,
        `${message} (gave up retrying after ${minutes} min; the next commit tries again)\n`,
      );
      await log(`gave up retrying after ${attempt} attempts`);
      return;
    }
    await writeAtomic(state.lastError, `${message} (retrying in ${formatDelay(delay)}, attempt ${attempt + 1})\n`);
    await log(`retrying in ${formatDelay(delay)} (attempt ${attempt + 1})`);
    if (await supersededWithin(state, delay)) {
      await log("a newer request replaces the one being retried");
      return;
    }
  }
}

const formatDelay = (ms: number) => (ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`);

/** Waits `ms`, and says true as soon as a newer request is pending. */
async function supersededWithin(state: HookState, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (existsSync(state.pending)) return true;
    await sleep(Math.min(200, until - Date.now()));
  }
  return existsSync(state.pending);
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

/** One attempt at publishing a request. Returns the error when it failed, undefined otherwise. */
async function publishRequest(
  git: GitRepository,
  state: HookState,
  request: Request,
  env: NodeJS.ProcessEnv,
  published: Set<string>,
): Promise<unknown> {
  const log = (line: string) => appendLog(state, `${request.hook}: ${line}`);
  const branch = request.branch ?? (await currentBranch(git));
  const rules = await branchRules(git);
  const as = branch === undefined ? undefined : publishedAs(branch, rules);
  if (!branch || as === undefined) {
    const which = branch ? `branch ${branch}` : "detached HEAD";
    await log(`${which} is not one of the configured branches (${rules.branches.join(", ")}); not published`);
    return undefined;
  }
  const sha = (await git.resolveCommit(request.ref)).oid;
  // A late hook run of a burst (its node started after the publisher had finished) asks for the
  // commit published last, by a request older than that publish: not again.
  // (A commit published as the workspace is not thereby published as a preview, nor the other way.)
  const key = `${as} ${sha}`;
  if (published.has(key) || (await coveredBy(state, sha, as, request.at))) return undefined;
  const { config } = await loadConfig(git.root);
  const pending: Promise<void>[] = [];
  const reporter: Reporter = {
    event(e) {
      if (e.type === "notice" || e.type === "warning") pending.push(log(`${e.type}: ${e.message}`));
    },
  };
  const result: LastResult = {
    ok: false,
    at: new Date().toISOString(),
    hook: request.hook,
    commit: sha,
    message: "",
    ...(as === "preview" ? { preview: branch } : {}),
  };
  await log(`publishing ${branch} ${sha.slice(0, 12)}${as === "preview" ? " to its preview" : ""}`);
  let failure: unknown;
  try {
    const results = await pushWorkspaces({
      cwd: git.root,
      git,
      env,
      all: Object.keys(config.workspaces ?? {}).length > 0,
      ref: sha,
      store: {},
      preview: as === "preview" ? { branch } : undefined,
      // Recorded whatever happens next: status shows a failure only to those looking at its target.
      onTarget: (url) => {
        result.target = url;
      },
      reporter,
      replaceable: (live) => inReflog(git, branch, live),
    });
    result.ok = true;
    published.add(key);
    result.message = results
      .map((r) => {
        const what = r.noop ? "already live" : `${r.uploaded} uploaded, ${r.copied} copied, ${r.deleted} deleted`;
        return `${r.workspace} ${r.commit.slice(0, 12)}: ${what}`;
      })
      .join("; ");
    await Promise.all(pending);
    await log(`published ${branch} ${result.message}`);
    await clearErrors(state);
  } catch (e) {
    failure = e;
    result.message = (e as Error).message;
    await Promise.all(pending);
    await log(`FAILED ${branch} ${sha.slice(0, 12)}: ${result.message}`);
    await writeAtomic(state.lastError, `${result.message}\n`);
  }
  await writeAtomic(state.lastResult, JSON.stringify(result, null, 2));
  return failure;
}

/**
 * Whether the last background publish succeeded for `sha` after a request made at `at`: that
 * publish covered the request. (A later request for the same commit, e.g. after a reset back to
 * it, is published again: something else may have gone live meanwhile.)
 */
async function coveredBy(state: HookState, sha: string, as: "workspace" | "preview", at: number): Promise<boolean> {
  const text = await readFile(state.lastResult, "utf8").catch(() => undefined);
  if (text === undefined) return false;
  try {
    const last = JSON.parse(text) as LastResult;
    return (
      last.ok && last.commit === sha && (last.preview !== undefined) === (as === "preview") && Date.parse(last.at) >= at
    );
  } catch {
    return false;
  }
}
