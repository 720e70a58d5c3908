import { resolveLfsMode } from "../config/settings.js";
import type { CredentialFinding } from "../filter/credentials.js";
import { scanFiles } from "../publish/credential-check.js";
import { buildPublishSet, type PublishSet } from "../filter/publish-set.js";
import { resolveWorkspaces } from "../workspace/resolve.js";

export interface FilesOf {
  workspace: string;
  commit: string;
  set: PublishSet;
  /** With `scan`: the credentials found in the set (a publish of this commit is refused for them), what was skipped. */
  credentials?: { findings: CredentialFinding[]; skipped: string[] };
}

/**
 * `wspub files`: the publish set of a commit, with every excluded tracked path and the rule that
 * excluded it; with `scan`, the credentials the publish would be refused for (every file is scanned).
 */
export async function filesOf(o: {
  cwd: string;
  workspace: string | undefined;
  ref: string;
  env: NodeJS.ProcessEnv;
  scan?: boolean;
}): Promise<FilesOf> {
  const ctx = await resolveWorkspaces(o.workspace, { cwd: o.cwd });
  try {
    const w = ctx.workspaces[0]!;
    const commit = await ctx.git.resolveCommit(o.ref);
    const { config } = ctx.loaded;
    const set = await buildPublishSet(ctx.git, commit.oid, w.dir, config.exclude ?? [], resolveLfsMode(o.env, config));
    const credentials = o.scan ? await scanFiles(ctx.git, set.files) : undefined;
    return { workspace: w.name, commit: commit.oid, set, ...(credentials ? { credentials } : {}) };
  } finally {
    await ctx.git.close();
  }
}
