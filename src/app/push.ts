import { join } from "node:path";
import { resolveLfsMode, resolveMaxDelete, type StoreFlags } from "../config/settings.js";
import { usageError } from "../errors.js";
import type { Reporter } from "../events.js";
import type { GitRepository } from "../git/port.js";
import { notifyPublished, refreshSlot } from "../notify/notify-published.js";
import { type NotifyFlags, resolveNotifySettings } from "../notify/notify-settings.js";
import type { Visibility } from "../notify/visibility.js";
import { publishAtomic } from "../publish/atomic.js";
import { publish } from "../publish/publish.js";
import type { PublishRequest, PublishResult } from "../publish/request.js";
import { defaultActor } from "./actor.js";
import { withContext } from "./context.js";
import { messages } from "../messages.js";
import type { Workspace } from "../workspace/resolve.js";
import { type TreeSize, treeSize } from "../workspace/tree-size.js";
import { DEFAULT_PREVIEW_NAME, previewBranch, previewWorkspace } from "../workspace/preview.js";
import type { StorePool } from "./store-pool.js";

export interface PushOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** A configured name or a directory; undefined for the current one. */
  workspace?: string | undefined;
  all?: boolean | undefined;
  ref: string;
  force?: boolean | undefined;
  dryRun?: boolean | undefined;
  /**
   * Publish each workspace's preview for this branch (`push --preview`; hooks and watch for the
   * config's `previews.branches`) instead of the workspace itself; `true`: the branch `ref` names
   * (HEAD: the current branch).
   */
  preview?: { branch: string; pullRequest?: number | undefined } | true | undefined;
  /** --max-delete; undefined: $WSPUB_MAX_DELETE, the config's "maxDelete", else the default rule. */
  maxDelete?: number | undefined;
  /** --atomic / --no-atomic; undefined: $WSPUB_ATOMIC, then the config's "atomic". */
  atomic?: boolean | undefined;
  store: StoreFlags;
  reporter: Reporter;
  actor?: string | undefined;
  replaceable?: ((live: string) => Promise<boolean>) | undefined;
  /** false with --unsafe-no-lock (or WSPUB_UNSAFE_NO_LOCK=1). */
  lock?: boolean | undefined;
  /** Wait this long for a lock held by another publisher; 0 fails at once. */
  lockWaitMs?: number | undefined;
  /** Fail instead of using the embedded local store when nothing names a target (CI: it would be thrown away). */
  requireTarget?: boolean | undefined;
  /** Called after each workspace, e.g. to print it; `where` is the workspace's location at the target. */
  onResult?: (result: Published, where: string) => void;
  /**
   * Someone at a terminal runs this (`wspub push`): say which changes are not committed (so not
   * published), and after a first publish what the bucket saves against the working tree.
   */
  interactive?: boolean | undefined;
  /** Told the target's URL (with its prefix) once it is known, before anything is published. */
  onTarget?: ((url: string) => void) | undefined;
  /** Mount and webhook notifications (flags; the environment and the config fill in the rest). */
  notify?: NotifyFlags | undefined;
  /** A repository the caller has open already (the background publisher). */
  git?: GitRepository | undefined;
  /** Stores kept open across publishes (`wspub watch`). */
  stores?: StorePool | undefined;
}

/** A publish, and what the notifications achieved when mounts or a webhook are configured. */
export type Published = PublishResult & { visibility?: Visibility; workingTree?: TreeSize };

/**
 * `wspub push` as a library call: the workspace(s), the store settings (flags > environment >
 * config) and the store, then each workspace published and, when it changed the bucket, the
 * mounts and the webhook told. The CLI, the git hooks and the GitHub Action all come through here
 * with the same typed options.
 */
export async function pushWorkspaces(o: PushOptions): Promise<Published[]> {
  return withContext({ ...o, announceDefault: true }, async (ctx) => {
    const notify = resolveNotifySettings(o.notify ?? {}, o.env, ctx.loaded.config);
    for (const message of notify.warnings) o.reporter.event({ type: "warning", message });
    const results: Published[] = [];
    const atomic = atomicMode(o.atomic, o.env, ctx.loaded.config.atomic);
    const lfs = resolveLfsMode(o.env, ctx.loaded.config);
    const maxDelete = resolveMaxDelete(o.maxDelete, o.env, ctx.loaded.config);
    const pattern = ctx.loaded.config.previews?.name ?? DEFAULT_PREVIEW_NAME;
    const wanted = o.preview === true ? { branch: await previewBranch(ctx.git, o.ref) } : o.preview;
    o.onTarget?.(ctx.settings.target.url);
    if (o.interactive && o.ref === "HEAD") await noteUncommitted(ctx.git, ctx.workspaces, o.reporter);
    for (const w of ctx.workspaces) {
      const preview = wanted === undefined ? undefined : previewWorkspace(pattern, w.name, wanted);
      const layout = ctx.layout({ ...w, name: preview?.name ?? w.name });
      const request: PublishRequest = {
        git: ctx.git,
        store: ctx.store,
        layout,
        dir: w.dir,
        ref: o.ref,
        force: o.force ?? false,
        dryRun: o.dryRun ?? false,
        maxDelete,
        concurrency: ctx.settings.concurrency,
        excludes: ctx.loaded.config.exclude ?? [],
        lfs,
        preview: preview?.preview,
        reporter: o.reporter,
        actor: o.actor ?? defaultActor(o.env),
        // A preview is disposable: whatever is live in it may be replaced (a force-pushed branch).
        replaceable: preview === undefined ? o.replaceable : async () => true,
        lock: o.lock ?? o.env["WSPUB_UNSAFE_NO_LOCK"] !== "1",
        lockWaitMs: o.lockWaitMs,
        env: o.env,
        atomic,
        // An atomic publish has the mounts re-read the slot it wrote before the link names it.
        beforeFlip: (slot) => refreshSlot(slot, notify, o.reporter),
      };
      const result = await (atomic ? publishAtomic(request) : publish(request));
      // Only a publish that changed the bucket is announced: mounts re-read, then the webhook.
      const changed = !result.dryRun && !result.noop;
      const visibility = changed
        ? await notifyPublished({ result, layout, settings: notify, reporter: o.reporter, atomic })
        : undefined;
      const tree =
        o.interactive && result.previous === null && changed ? await treeSize(join(ctx.git.root, w.dir)) : undefined;
      const published: Published = {
        ...result,
        ...(visibility ? { visibility } : {}),
        ...(tree ? { workingTree: tree } : {}),
      };
      results.push(published);
      o.onResult?.(published, layout.location);
    }
    return results;
  });
}

/** wspub publishes commits: changes in the working tree are not published, and a push of HEAD says so. */
async function noteUncommitted(
  git: GitRepository,
  workspaces: readonly Workspace[],
  reporter: Reporter,
): Promise<void> {
  const dirs = workspaces.map((w) => w.dir);
  // Advice only: a git status that fails (a broken submodule) says nothing and stops nothing.
  const changes = await git.uncommittedChanges(dirs.includes("") ? [] : dirs).catch(() => 0);
  if (changes > 0) reporter.event({ type: "notice", message: messages.uncommitted(changes) });
}

/** --atomic / --no-atomic, else WSPUB_ATOMIC (1/true or 0/false), else the config's "atomic", else in place. */
export function atomicMode(flag: boolean | undefined, env: NodeJS.ProcessEnv, config: boolean | undefined): boolean {
  if (flag !== undefined) return flag;
  const value = env["WSPUB_ATOMIC"]?.trim().toLowerCase();
  if (value === "1" || value === "true") return true;
  if (value === "0" || value === "false") return false;
  if (value !== undefined && value !== "") {
    throw usageError(
      `invalid WSPUB_ATOMIC=${JSON.stringify(env["WSPUB_ATOMIC"])}: set it to 1 (atomic) or 0 (in place)`,
    );
  }
  return config ?? false;
}
