import type { StoreFlags } from "../config/settings.js";
import type { Reporter } from "../events.js";
import { type ListedWorkspace, listWorkspaces } from "../inspect/list.js";
import type { Target } from "../store/target.js";
import { withTarget } from "./context.js";

/** `wspub ls`: the workspaces published at the target (the repository's config counts where there is one). */
export async function listTarget(o: {
  cwd: string;
  env: NodeJS.ProcessEnv;
  store: StoreFlags;
  reporter: Reporter;
}): Promise<{ target: Target; workspaces: ListedWorkspace[] }> {
  return withTarget(o, async (settings, store) => ({
    target: settings.target,
    workspaces: await listWorkspaces(store, settings.target, settings.concurrency),
  }));
}
