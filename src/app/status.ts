import type { StoreFlags } from "../config/settings.js";
import type { Reporter } from "../events.js";
import { type BackgroundStatus, readBackground } from "../hooks/state.js";
import { type StatusResult, status } from "../inspect/status.js";
import { withContext } from "./context.js";

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
  | { status: StatusResult; background: BackgroundStatus | undefined }
  | { failure: unknown; background: BackgroundStatus | undefined }
> {
  return withContext(o, async (ctx) => {
    const found = await readBackground(ctx.git);
    // The background publisher's news, unless it is about another target (hooks configured elsewhere).
    const url = ctx.settings.target.url;
    const background = found?.last?.target !== undefined && found.last.target !== url ? undefined : found;
    try {
      return { status: await status(ctx.store, ctx.layout(ctx.workspaces[0]!), ctx.git), background };
    } catch (failure) {
      return { failure, background };
    }
  });
}
