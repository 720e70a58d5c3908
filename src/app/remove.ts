import type { StoreFlags } from "../config/settings.js";
import { usageError } from "../errors.js";
import type { Reporter } from "../events.js";
import { listWorkspaces } from "../inspect/list.js";
import { type Removed, removeWorkspace } from "../publish/remove.js";
import { Layout, validateWorkspaceName } from "../store/layout.js";
import { describeTarget, type Target } from "../store/target.js";
import { defaultActor } from "./actor.js";
import { withContext, withTarget } from "./context.js";
import { DEFAULT_PREVIEW_NAME, previewWorkspace } from "../workspace/preview.js";

interface TargetOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  store: StoreFlags;
  reporter: Reporter;
  dryRun?: boolean | undefined;
  /** Fail instead of using the embedded local store when nothing names a target (the Action). */
  requireTarget?: boolean | undefined;
}

/** `wspub delete WORKSPACE`: one published workspace, everything of it and nothing else. */
export async function deleteWorkspace(o: TargetOptions & { workspace: string }): Promise<Removed & { target: Target }> {
  const name = validateWorkspaceName(o.workspace);
  return withTarget(o, async (settings, store) => {
    const layout = new Layout(settings.target, name, settings.layout);
    const removed = await removeWorkspace({ ...o, store, layout, holder: defaultActor(o.env) });
    if (!removed.existed) {
      throw usageError(`nothing is published as ${name} at ${describeTarget(settings.target)}: see wspub ls`);
    }
    return { ...removed, target: settings.target };
  });
}

/**
 * The previews of a branch that is gone (the Action on a branch's `delete` event): for each
 * workspace the options name, its preview of `branch`, if there is one.
 */
export async function deletePreviews(
  o: TargetOptions & {
    workspace?: string | undefined;
    all?: boolean | undefined;
    branch: string;
    pullRequest?: number | undefined;
  },
): Promise<Removed[]> {
  return withContext(o, async (ctx) => {
    const pattern = ctx.loaded.config.previews?.name ?? DEFAULT_PREVIEW_NAME;
    const removed: Removed[] = [];
    for (const w of ctx.workspaces) {
      const { name, preview } = previewWorkspace(pattern, w.name, o);
      const layout = ctx.layout({ ...w, name });
      removed.push(await removeWorkspace({ ...o, store: ctx.store, layout, holder: defaultActor(o.env), preview }));
    }
    return removed;
  });
}

/** A preview `prune` removed (or, with --dry-run, would remove), or kept. */
export interface PrunedPreview extends Removed {
  branch: string;
}

/**
 * `wspub prune`: removes the previews of this repository's workspaces whose branch no longer exists
 * here, neither as a local branch nor as a remote-tracking one. Previews of workspaces this
 * repository does not have (another repository's, at the same target) are never looked at.
 */
export async function prunePreviews(o: TargetOptions): Promise<{ target: Target; pruned: PrunedPreview[] }> {
  return withContext(o, async (ctx) => {
    const mine = new Set([...Object.keys(ctx.loaded.config.workspaces ?? {}), ...ctx.workspaces.map((w) => w.name)]);
    const tracking = new Set(await ctx.git.refNames("refs/remotes/"));
    const remotes = await ctx.git.remoteNames();
    const exists = async (branch: string) =>
      (await ctx.git.hasRef(`refs/heads/${branch}`)) ||
      remotes.some((r) => tracking.has(`refs/remotes/${r}/${branch}`));
    const pruned: PrunedPreview[] = [];
    for (const w of await listWorkspaces(ctx.store, ctx.settings.target, ctx.settings.concurrency)) {
      // A pull request's preview goes when the pull request closes (the Action), not by its branch.
      if (!w.preview || w.preview.pullRequest !== undefined || !mine.has(w.preview.of)) continue;
      if (await exists(w.preview.branch)) continue;
      const layout = ctx.layout({ name: w.workspace, dir: "" });
      const holder = defaultActor(o.env);
      const removed = await removeWorkspace({ ...o, store: ctx.store, layout, holder, preview: w.preview });
      pruned.push({ ...removed, branch: w.preview.branch });
    }
    return { target: ctx.settings.target, pruned };
  });
}
