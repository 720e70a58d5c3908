import type { StoreFlags } from "../config/settings.js";
import type { Reporter } from "../events.js";
import { type BackgroundStatus, readBackground } from "../hooks/state.js";
import { type StatusResult, status } from "../inspect/status.js";
import { withContext } from "./context.js";
import { join } from "node:path";
import { type TreeSize, treeSize } from "../workspace/tree-size.js";

export interface StatusOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  workspace: string | undefined;
  store: StoreFlags;
  reporter: Reporter;
}

/**
 * `wspub status`: the live commit against HEAD, and the git hooks' background publisher. When the
 * store cannot be read, `failure` holds why, and `background` is still there: the background
 * publisher may have tripped on the same thing.
 */
export async function workspaceStatus(
  o: StatusOptions,
): Promise<
  | { status: StatusResult; background: BackgroundStatus | undefined; workingTree: TreeSize | null }
  | { failure: unknown; background: BackgroundStatus | undefined }
> {
  return withContext(o, async (ctx) => {
    const found = await readBackground(ctx.git);
    // The background publisher's news, unless it is about another target (hooks configured elsewhere).
    const url = ctx.settings.target.url;
    const background = found?.last?.target !== undefined && found.last.target !== url ? undefined : found;
    try {
      const w = ctx.workspaces[0]!;
      // What the bucket saves: the working tree on disk (node_modules and all) against what is stored.
      const live = await status(ctx.store, ctx.layout(w), ctx.git);
      const workingTree = live.published ? await treeSize(join(ctx.git.root, w.dir)) : null;
      return { status: live, background, workingTree };
    } catch (failure) {
      return { failure, background };
    }
  });
}
