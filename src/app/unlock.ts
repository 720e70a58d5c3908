import type { StoreFlags } from "../config/settings.js";
import type { Reporter } from "../events.js";
import { removeLock } from "../lock/lease.js";
import { withContext } from "./context.js";

/** `wspub unlock`: removes a workspace's publish lock. `removed` names who held it; null when nobody did. */
export async function unlockWorkspace(o: {
  cwd: string;
  env: NodeJS.ProcessEnv;
  workspace: string | undefined;
  store: StoreFlags;
  reporter: Reporter;
}): Promise<{ workspace: string; removed: string | null }> {
  return withContext(o, async (ctx) => {
    const layout = ctx.layout(ctx.workspaces[0]!);
    return { workspace: layout.workspace, removed: (await removeLock(ctx.store, layout)) ?? null };
  });
}
