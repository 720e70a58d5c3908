import { resolveStoreSettings, type StoreFlags, type StoreSettings } from "../config/settings.js";
import { messages } from "../messages.js";
import { usageError } from "../errors.js";
import { Layout } from "../store/layout.js";
import { openStore } from "../store/open-store.js";
import type { ObjectStore } from "../store/port.js";
import { resolveWorkspaces, type WorkspaceContext } from "../workspace/resolve.js";
import { notifyPublished } from "../notify/notify-published.js";
import { resolveNotifySettings, type NotifyFlags } from "../notify/notify-settings.js";
import type { Visibility } from "../notify/visibility.js";
import type { Reporter } from "../events.js";
import { publish, type PublishResult } from "../publish/publish.js";

export interface PushOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** A configured name or a directory; undefined for the current one. */
  workspace?: string | undefined;
  all?: boolean | undefined;
  ref: string;
  force?: boolean | undefined;
  dryRun?: boolean | undefined;
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
  /** Called after each workspace, e.g. to print it. */
  onResult?: (result: Published, where: string) => void;
  /** Mount and webhook notifications (flags; the environment and the config fill in the rest). */
  notify?: NotifyFlags | undefined;
}

/** A publish, and what the notifications achieved when mounts or a webhook are configured. */
export type Published = PublishResult & { visibility?: Visibility };

/**
 * `wspub push` as a library call: resolve the workspace(s), the store settings (flags >
 * environment > config) and the store, then publish each. The CLI, the git hooks and the GitHub
 * Action all come through here with the same typed options.
 */
export async function pushWorkspaces(o: PushOptions): Promise<Published[]> {
  return withStore(
    o,
    { all: o.all ?? false, workspace: o.workspace, requireTarget: o.requireTarget },
    async (ctx, settings, store) => {
      const notify = resolveNotifySettings(o.notify ?? {}, o.env, ctx.loaded.config);
      for (const message of notify.warnings) o.reporter.event({ type: "warning", message });
      const results: Published[] = [];
      for (const w of ctx.workspaces) {
        const result = await publish({
          git: ctx.git,
          store,
          layout: new Layout(settings.target.prefix, w.name),
          dir: w.dir,
          ref: o.ref,
          force: o.force ?? false,
          dryRun: o.dryRun ?? false,
          concurrency: settings.concurrency,
          excludes: ctx.loaded.config.exclude ?? [],
          reporter: o.reporter,
          ...(o.actor ? { actor: o.actor } : {}),
          replaceable: o.replaceable,
          lock: o.lock ?? o.env["WSPUB_UNSAFE_NO_LOCK"] !== "1",
          lockWaitMs: o.lockWaitMs,
          env: o.env,
        });
        const where = `${settings.target.url.replace(/\/$/, "")}/${w.name}/`;
        // Only a publish that changed the bucket is announced: mounts re-read, then the webhook.
        const visibility =
          result.dryRun || result.noop
            ? undefined
            : await notifyPublished({
                result,
                layout: new Layout(settings.target.prefix, w.name),
                where,
                settings: notify,
                reporter: o.reporter,
              });
        const published: Published = visibility ? { ...result, visibility } : result;
        results.push(published);
        o.onResult?.(published, where);
      }
      return results;
    },
  );
}

/** Opens the repository, config and store for a command, and closes them afterwards. */
export async function withStore<T>(
  o: { cwd: string; env: NodeJS.ProcessEnv; store: StoreFlags; reporter: Reporter },
  which: { workspace?: string | undefined; all?: boolean; requireTarget?: boolean | undefined },
  fn: (ctx: WorkspaceContext, settings: StoreSettings, store: ObjectStore) => Promise<T>,
): Promise<T> {
  const ctx = await resolveWorkspaces(which.workspace, { cwd: o.cwd, all: which.all ?? false });
  let store: ObjectStore | undefined;
  try {
    for (const w of ctx.loaded.warnings) o.reporter.event({ type: "warning", message: w });
    const settings = resolveStoreSettings(o.store, o.env, ctx.loaded.config, { cwd: o.cwd, repoRoot: ctx.git.root });
    if (settings.isDefault && which.requireTarget) throw usageError(messages.noTarget);
    if (settings.isDefault) o.reporter.event({ type: "notice", message: messages.defaultStore(settings.target.url) });
    store = await openStore(settings, o.env);
    return await fn(ctx, settings, store);
  } finally {
    store?.close();
    await ctx.git.close();
  }
}
