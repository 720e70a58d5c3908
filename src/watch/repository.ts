import { existsSync, type FSWatcher, watch as watchFiles } from "node:fs";
import { basename, join } from "node:path";
import { type Published, pushWorkspaces } from "../app/push.js";
import type { StorePool } from "../app/store-pool.js";
import { loadConfig } from "../config/load.js";
import { type RetryPolicy, resolveRetryPolicy, retryDelay } from "../config/retry.js";
import type { StoreFlags } from "../config/settings.js";
import { ExitCode, isRetryable, WspubError } from "../errors.js";
import type { Reporter } from "../events.js";
import { openGit } from "../git/cli-git.js";
import type { GitRepository } from "../git/port.js";
import { inReflog, watchedBranch } from "../hooks/branches.js";
import type { NotifyFlags } from "../notify/notify-settings.js";
import type { Trigger, WatchReporter } from "./events.js";
import type { WatchMetrics } from "./metrics.js";

export interface RepositoryDeps {
  env: NodeJS.ProcessEnv;
  store: StoreFlags;
  notify: NotifyFlags;
  stores: StorePool;
  reporter: WatchReporter;
  metrics: WatchMetrics;
  /** Runs a publish when one of the service's publish slots is free. */
  slot: <T>(fn: () => Promise<T>) => Promise<T>;
  /** How long the repository's files must be quiet after a change before its tip is looked at. */
  debounceMs: number;
}

interface Tip {
  branch: string;
  oid: string;
  /** A preview branch (config previews.branches): published to its preview workspace. */
  preview?: boolean | undefined;
}

/** Operations during which the branch moves many times: the publish waits for the end. */
const IN_PROGRESS = ["rebase-merge", "rebase-apply", "sequencer", "CHERRY_PICK_HEAD", "REVERT_HEAD", "MERGE_HEAD"];

/**
 * One repository that `wspub watch` keeps live: it looks at the watched branch's tip when git's
 * files change (and whenever the service polls), publishes a tip that is not live yet (every
 * configured workspace, or the repository itself), one publish at a time, coalescing what happens
 * meanwhile into one more look. A failure that retrying can fix is retried with the retry
 * policy's backoff until it succeeds or the branch moves; one that it cannot (a refusal, bad
 * input) waits for the branch to move.
 */
export class WatchedRepository {
  private git: GitRepository | undefined;
  private readonly watchers: FSWatcher[] = [];
  private running: Promise<void> | undefined;
  private again: Trigger | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private retry: { oid: string; attempt: number; firstFailure: number; timer: NodeJS.Timeout | undefined } | undefined;
  /** The tip this service last found or made live. */
  private live: string | undefined;
  /** The tip last looked at, and since when it is the tip. */
  private seen: { oid: string; since: number } | undefined;
  /** What the tip is published as: the workspace, or a branch's preview (`live` etc. are of it). */
  private target = "workspace";
  /** A tip whose publish failed in a way retrying cannot fix: it waits for the branch to move. */
  private refused: string | undefined;
  /** A tip whose retries ran out: it waits for the branch to move, or the next reconcile. */
  private gaveUp: string | undefined;
  /** Why nothing is published (reported once per reason). */
  private skipped: string | undefined;
  private workspaces: string[];
  private stopped = false;

  constructor(
    readonly dir: string,
    private readonly deps: RepositoryDeps,
  ) {
    this.workspaces = [basename(dir)];
  }

  /** Whether a publish is under way. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  async start(): Promise<void> {
    this.git = await openGit(this.dir);
    const dirs = new Set([await this.git.gitDir(), await this.git.commonDir()]);
    for (const d of [...dirs]) dirs.add(join(d, "refs", "heads"));
    for (const d of dirs) {
      if (!existsSync(d)) continue;
      try {
        // Some file systems give no events (network mounts): the service's polling covers them.
        const w = watchFiles(d, { recursive: d.endsWith("heads"), persistent: false }, () => this.poke());
        w.on("error", () => w.close());
        this.watchers.push(w);
      } catch {
        // no inotify here: polling only
      }
    }
    this.check("start");
  }

  /** A file of the repository changed: look at the tip once things are quiet. */
  private poke(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.check("change"), this.deps.debounceMs);
  }

  /** Looks at the tip now, or right after the publish under way. */
  check(trigger: Trigger): void {
    if (this.stopped) return;
    if (this.running) {
      // "start" and "reconcile" publish even a tip that looks live; keep the strongest reason.
      if (this.again === undefined || trigger !== "change") this.again = trigger;
      return;
    }
    this.running = this.look(trigger)
      .catch((e: unknown) => {
        // git itself failed (the repository is being deleted, a corrupt ref): say so, keep watching.
        if (!existsSync(this.dir)) return;
        this.deps.reporter.event({
          type: "warning",
          dir: this.dir,
          message: `cannot read it: ${(e as Error).message}`,
        });
      })
      .finally(() => {
        this.running = undefined;
        const next = this.again;
        this.again = undefined;
        if (next !== undefined) this.check(next);
      });
  }

  private async look(trigger: Trigger): Promise<void> {
    const git = this.git;
    if (!git) return;
    const gitDir = await git.gitDir();
    if (IN_PROGRESS.some((f) => existsSync(join(gitDir, f)))) return this.poke();
    const tip = await this.tip(git);
    if (!tip) return;
    // What is live, refused or given up is of one target: the workspace, or one branch's preview.
    const target = tip.preview ? `preview of ${tip.branch}` : "workspace";
    if (target !== this.target) {
      this.target = target;
      this.live = undefined;
      this.seen = undefined;
    }
    if (tip.oid !== this.seen?.oid) {
      this.seen = { oid: tip.oid, since: Date.now() };
      this.refused = undefined;
      this.gaveUp = undefined;
      this.clearRetry();
    }
    const scheduled = this.retry?.timer !== undefined && trigger !== "retry";
    if (trigger === "change" && (tip.oid === this.live || tip.oid === this.gaveUp)) return;
    if (scheduled || (tip.oid === this.refused && trigger !== "start")) return;
    await this.behind(git, tip);
    await this.deps.slot(() => this.publish(git, tip, trigger));
  }

  private async tip(git: GitRepository): Promise<Tip | undefined> {
    const watched = await watchedBranch(git);
    if ("none" in watched) {
      if (this.skipped !== watched.none)
        this.deps.reporter.event({ type: "skipped", dir: this.dir, reason: watched.none });
      this.skipped = watched.none;
      return undefined;
    }
    this.skipped = undefined;
    const oid = (await git.resolveCommit(`refs/heads/${watched.branch}`)).oid;
    return { branch: watched.branch, oid, preview: watched.preview };
  }

  /** Metrics: how far the tip is ahead of what is live. */
  private async behind(git: GitRepository, tip: Tip): Promise<void> {
    if (tip.oid === this.live || !this.seen) return;
    const live = this.live;
    const commits = live !== undefined && (await git.hasCommit(live)) ? await git.countCommits(live, tip.oid) : 1;
    for (const ws of this.workspaces) this.deps.metrics.setBehind(ws, commits, this.seen.since);
  }

  private async publish(git: GitRepository, tip: Tip, trigger: Trigger): Promise<void> {
    if (this.stopped) return;
    const { config } = await loadConfig(git.root);
    const reporter: Reporter = {
      event: (e) => {
        if (e.type === "notice" || e.type === "warning")
          this.deps.reporter.event({ type: e.type, dir: this.dir, message: e.message });
      },
    };
    let results: Published[];
    try {
      results = await pushWorkspaces({
        cwd: git.root,
        git,
        env: this.deps.env,
        all: Object.keys(config.workspaces ?? {}).length > 0,
        ref: tip.oid,
        preview: tip.preview ? { branch: tip.branch } : undefined,
        store: this.deps.store,
        notify: this.deps.notify,
        stores: this.deps.stores,
        requireTarget: true,
        reporter,
        replaceable: (live) => inReflog(git, tip.branch, live),
      });
    } catch (e) {
      this.failed(tip, trigger, e, policyOf(this.deps.env, config));
      return;
    } finally {
      await git.close(); // ends the cat-file process; the repository stays usable
    }
    this.live = tip.oid;
    this.clearRetry();
    this.workspaces = results.map((r) => r.workspace);
    for (const r of results) {
      this.deps.metrics.recordPublish(r.workspace, r.noop ? "noop" : "published", Date.now());
      this.deps.metrics.setLive(r.workspace, r.files, r.bytes ?? 0);
      // An idle reconcile finds everything live: one line per publish, not one per look.
      if (!r.noop || trigger === "start" || trigger === "retry") {
        this.deps.reporter.event({ type: "published", dir: this.dir, trigger, result: r });
      }
    }
  }

  private failed(tip: Tip, trigger: Trigger, error: unknown, policy: RetryPolicy): void {
    const retryable = isRetryable(error);
    const refused = error instanceof WspubError && error.exitCode === ExitCode.refused;
    for (const ws of this.workspaces) this.deps.metrics.recordPublish(ws, refused ? "refused" : "failed", Date.now());
    let retryInMs: number | null = null;
    if (retryable) {
      const attempt = (this.retry?.oid === tip.oid ? this.retry.attempt : 0) + 1;
      const firstFailure = this.retry?.oid === tip.oid ? this.retry.firstFailure : Date.now();
      const delay = retryDelay(policy, attempt);
      this.clearRetry();
      if (Date.now() + delay - firstFailure <= policy.maxMs) {
        retryInMs = delay;
        const timer = setTimeout(() => {
          if (this.retry) this.retry.timer = undefined;
          this.check("retry");
        }, delay);
        this.retry = { oid: tip.oid, attempt, firstFailure, timer };
      } else {
        this.gaveUp = tip.oid;
      }
    } else {
      this.refused = tip.oid;
    }
    const exitCode = error instanceof WspubError ? error.exitCode : ExitCode.failure;
    const message = (error as Error).message ?? String(error);
    this.deps.reporter.event({ type: "failed", dir: this.dir, trigger, commit: tip.oid, message, exitCode, retryInMs });
  }

  private clearRetry(): void {
    clearTimeout(this.retry?.timer);
    this.retry = undefined;
  }

  /** Stops watching; waits for the publish under way (the caller bounds how long). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.debounce);
    this.clearRetry();
    for (const w of this.watchers) w.close();
    await this.running?.catch(() => undefined);
    await this.git?.close();
  }
}

/** The retry policy; a bad one (reported with the publish's own error) falls back to the defaults. */
function policyOf(env: NodeJS.ProcessEnv, config: Parameters<typeof resolveRetryPolicy>[1]): RetryPolicy {
  try {
    return resolveRetryPolicy(env, config);
  } catch {
    return resolveRetryPolicy({}, {});
  }
}
