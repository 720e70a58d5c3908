import { resolveLfsMode } from "../config/settings.js";
import { buildPublishSet, type PublishSet } from "../filter/publish-set.js";
import { resolveWorkspaces } from "../workspace/resolve.js";

/** `wspub files`: the publish set of a commit, with every excluded tracked path and the rule that excluded it. */
export async function filesOf(o: {
  cwd: string;
  workspace: string | undefined;
  ref: string;
  env: NodeJS.ProcessEnv;
}): Promise<{ workspace: string; commit: string; set: PublishSet }> {
  const ctx = await resolveWorkspaces(o.workspace, { cwd: o.cwd });
  try {
    const w = ctx.workspaces[0]!;
    const commit = await ctx.git.resolveCommit(o.ref);
    const { config } = ctx.loaded;
    const set = await buildPublishSet(ctx.git, commit.oid, w.dir, config.exclude ?? [], resolveLfsMode(o.env, config));
    return { workspace: w.name, commit: commit.oid, set };
  } finally {
    await ctx.git.close();
  }
}
