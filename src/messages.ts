/**
 * The texts of the errors and warnings a user acts on, in one place so that they read alike: each
 * says what happened, that nothing was changed when that is so, and what to do next. Tests match
 * them. (Progress, plans and results are formatted by the entry points: cli/format.ts,
 * action/summary.ts, report/text.ts.)
 */
export const messages = {
  atomicLayoutChange: (workspace: string, from: string, to: string) =>
    `${workspace} is atomic in the ${from} layout: change its layout in place first (wspub push --no-atomic ` +
    `--layout ${to}), then publish with --atomic again. Nothing was written.`,
  controlCharacters: (count: number, named: string) =>
    `${count} published name(s) hold control characters (${named}${count > 10 ? ", ..." : ""}): an rclone mount ` +
    `shows such names under other ones (a tab becomes U+2409, a control picture; no rclone flag changes that), ` +
    `so the monitor does not find them by their git names; rename them in git if it needs them`,
  mountNotRefreshed: (url: string, workspace: string, reason: string) =>
    `the mount at ${url} was not refreshed: ${reason}. It shows ${workspace} as before until its directory cache ` +
    `expires (--dir-cache-time). The publish itself succeeded.`,
  webhookFailed: (url: string, reason: string) =>
    `the webhook ${url} was not notified (${reason}). The publish itself succeeded.`,
  mountPassInConfig: (where: string) =>
    `${where}.pass: a password in wspub.config.json is committed with the repository; name a variable in ` +
    `"passEnv" or set WSPUB_MOUNT_RC_PASS instead`,
  notARepository: (dir: string) =>
    `${dir} is not inside a git repository: run wspub from a repository, or name a workspace directory that is in one`,
  bareRepository: (dir: string) =>
    `${dir} is a bare repository: wspub publishes from a repository with a work tree (clone it, or run from the clone)`,
  noCommits: (root: string) => `the repository ${root} has no commits yet: commit something first, then publish`,
  unknownRef: (ref: string) =>
    `unknown ref ${JSON.stringify(ref)}: give a commit, branch or tag that exists here (git fetch it first if it ` +
    `is remote)`,
  unknownWorkspace: (name: string, known: readonly string[]) =>
    `unknown workspace ${JSON.stringify(name)}: it is not a directory, nor a name under "workspaces" in ` +
    `wspub.config.json` +
    (known.length > 0 ? ` (configured: ${known.join(", ")})` : ""),
  notAncestor: (live: string, next: string) =>
    `refused: the live commit ${live.slice(0, 12)} is not an ancestor of ${next.slice(0, 12)} (a rollback or a ` +
    `different history). Nothing was changed. Pass --force to replace it anyway.`,
  liveCommitMissing: (live: string) =>
    `refused: the live commit ${live.slice(0, 12)} is not in this clone, so wspub cannot check that the new ` +
    `commit descends from it (a shallow clone?). Fetch more history (git fetch --unshallow; in GitHub Actions ` +
    `set fetch-depth: 0 on actions/checkout) or pass --force. Nothing was changed.`,
  nothingPublished: (workspace: string, target: string) =>
    `nothing is published for workspace ${JSON.stringify(workspace)} at ${target}: run wspub push first`,
  emptyPublishSet: (dir: string, commit: string, excluded: number) =>
    `nothing to publish: commit ${commit.slice(0, 12)} has no ${excluded > 0 ? "unexcluded " : ""}files under ` +
    `${dir === "" ? "the repository root" : dir}` +
    `${excluded > 0 ? ` (${excluded} excluded; see wspub files --explain)` : ""}. Refusing to empty the ` +
    `workspace; nothing was changed.`,
  noTarget:
    `no target: set --target / the "target" input (s3://bucket[/prefix]), WSPUB_TARGET, or "target" in ` +
    `wspub.config.json (the embedded local store would be thrown away with this machine). Nothing was written.`,
  lockHeld: (holder: string, workspace: string) =>
    `refused: workspace ${workspace} is being published by ${holder}. Nothing was changed. Try again later, or ` +
    `if that publisher is gone for good, run wspub unlock ${workspace}.`,
  lockHeldUnsafe: (holder: string, workspace: string) =>
    `refused: workspace ${workspace} is being published by ${holder}, and --unsafe-no-lock does not publish ` +
    `over a held lock. Nothing was changed. Try again later.`,
  lockLost: (by: string) =>
    `refused: this publisher lost the publish lock to ${by} and stopped writing; run wspub push again to finish`,
  noConditionalWrites: (target: string, detail: string) =>
    `refused: ${target} ignores conditional writes (${detail}), so wspub cannot take a lock it can trust. Use a ` +
    `server that supports If-None-Match/If-Match (AWS S3, current MinIO or SeaweedFS), or pass --unsafe-no-lock ` +
    `(WSPUB_UNSAFE_NO_LOCK=1) if only one publisher can ever run. Nothing was changed.`,
  olderThanLive: (next: string, live: string) =>
    `refused: ${next.slice(0, 12)} is older than the live commit ${live.slice(0, 12)} (a newer publish already ` +
    `landed). Nothing was changed. Pass --force to roll back to it.`,
  manifestLost: (commit: string) =>
    `the live manifest of ${commit.slice(0, 12)} (or a shard of it) is missing, so verify --repair cannot know ` +
    `what belongs: republish it with wspub push --ref ${commit.slice(0, 12)} --force (it compares the whole tree ` +
    `and rewrites the manifest)`,
  pointerMoved: (workspace: string) =>
    `refused: the live pointer of ${workspace} changed while this publish held the lock (a publisher without a ` +
    `lock?). Run wspub push again.`,
  symlinkOutside: (path: string, target: string) =>
    `the symlink ${JSON.stringify(path)} points outside the workspace (-> ${JSON.stringify(target)}): through ` +
    `the mount it would dangle or reach into the host. Make it point inside the workspace, or exclude it in ` +
    `.wspubignore. Nothing was written.`,
  withheld: (count: number, names: string, more: boolean) =>
    `withheld ${count} secret-looking file(s) even though they are tracked: ${names}${more ? ", ..." : ""} ` +
    `(re-include one with !<path> in .wspubignore if it really belongs in the bucket)`,
  controlCharacter: (path: string, char: string) =>
    `the path ${JSON.stringify(path)} contains a control character ` +
    `(U+${char.charCodeAt(0).toString(16).padStart(4, "0").toUpperCase()}) that S3 listings cannot carry: rename ` +
    `it, or exclude it in .wspubignore. Nothing was written.`,
  notUtf8: (path: string) =>
    `the path ${JSON.stringify(path)} is not valid UTF-8 (git stores the bytes; S3 keys are UTF-8): rename it ` +
    `(e.g. git mv), or exclude it in .wspubignore. Nothing was written.`,
  objectNameConflict: (object: string) =>
    `two paths map to the same object ${JSON.stringify(object)} (a symlink next to a file named like its ` +
    `.rclonelink): rename one, or exclude it in .wspubignore`,
  keyTooLong: (path: string) =>
    `the path ${JSON.stringify(path.slice(0, 80))}... makes an object key over S3's 1024-byte limit: shorten it ` +
    `or exclude it in .wspubignore. Nothing was written.`,
  shardDisappeared: (manifest: string) =>
    `a shard of the live manifest ${manifest} disappeared during the publish: run wspub push again`,
  defaultStore: (dir: string) =>
    `no target configured: publishing to the local store ${dir} (set --target, WSPUB_TARGET or "target" in ` +
    `wspub.config.json)`,
  previewOwner: (workspace: string, was: Preview | null, now: Preview | null) =>
    `refused: ${workspace} is ${was ? `the preview of ${previewed(was)}` : "not a preview"}, ` +
    `and this publish is ${now ? `the preview of ${previewed(now)}` : "not a preview"}. ` +
    `Nothing was changed. Choose another preview name ("previews": {"name": ...} in wspub.config.json), or ` +
    `remove the workspace first (wspub delete ${workspace}).`,
  uncommitted: (count: number) =>
    `${count} uncommitted change(s) in the working tree are not published: wspub publishes commits (commit ` +
    `them, then push again; git status lists them)`,
  /** A publish moved the workspace between verify and its repair: exit 3, as other refusals of a race. */
  changedWhileVerifying: (what: "commit" | "slot") =>
    `refused: the live ${what} changed while verifying (a publish ran meanwhile). Nothing was changed. Run ` +
    `wspub verify again.`,
  tooManyDeletes: (workspace: string, deletes: number, live: number, limit: number | undefined) =>
    `refused: this publish would delete ${deletes} of the ${live} live files of ${workspace} (` +
    (limit === undefined ? "more than half of them, and more than 100" : `more than --max-delete ${limit}`) +
    `). A damaged manifest, a wrong --ref, a filter or .wspubignore that excludes too much? Nothing was ` +
    `changed. See the plan with wspub push --dry-run; if it is right, allow it with --max-delete ${deletes} ` +
    `(config "maxDelete", WSPUB_MAX_DELETE) or --force.`,
  lfsWouldFetch: (count: number) =>
    `${count} Git LFS file(s) of this publish are not in this clone's LFS store: a publish fetches them first ` +
    `(git lfs fetch)`,
  lfsFetching: (count: number) => `fetching the content of ${count} Git LFS file(s) (git lfs fetch)`,
  lfsNotInstalled: (paths: readonly string[]) =>
    `the content of ${namedPaths(paths)} (Git LFS files) is not in this clone, and git-lfs is not installed to ` +
    `fetch it. Install git-lfs (https://git-lfs.com), or run git lfs pull where it is; or set "lfs": ` +
    `"pointers" in wspub.config.json to publish the pointer files. Nothing was written.`,
  lfsMissing: (paths: readonly string[], remote: string, said: string) =>
    `the content of ${namedPaths(paths)} (Git LFS files) is not in this clone, and git lfs fetch from ` +
    `${JSON.stringify(remote)} did not get it${said ? ` (git-lfs: ${said.replace(/\s*\n\s*/g, " / ")})` : ""}. ` +
    `Push the objects from a clone that has them (git lfs push --all ${remote}), or set "lfs": "pointers" in ` +
    `wspub.config.json to publish the pointer files. Nothing was written.`,
  lfsReadOnly: (paths: readonly string[], said: string) =>
    `the content of ${namedPaths(paths)} (Git LFS files) is not in this clone, and git lfs fetch cannot write ` +
    `its LFS store (git-lfs: ${said.replace(/\s*\n\s*/g, " / ")}). Mount the clone writable, or run git lfs ` +
    `pull in it first. Nothing was written.`,
  lfsFetchFailed: (paths: readonly string[], remote: string, said: string) =>
    `could not fetch the content of ${namedPaths(paths)} (Git LFS files) from ${JSON.stringify(remote)}: ` +
    `${said.replace(/\s*\n\s*/g, " / ") || "git lfs fetch failed"}. Nothing was written; try again.`,
  lfsUnreadable: (count: number, names: string, more: boolean) =>
    `${count} file(s) under filter=lfs hold something like a Git LFS pointer that wspub cannot read ` +
    `(an extension, or a malformed pointer): published as stored in git: ${names}${more ? ", ..." : ""}`,
  credentialsFound: (
    workspace: string,
    commit: string,
    findings: readonly { path: string; rule: string; line: number }[],
  ) => {
    const files = new Set(findings.map((f) => f.path)).size;
    const lines = findings.slice(0, 20).map((f) => `  ${f.path}:${f.line}: ${f.rule}`);
    if (findings.length > 20) lines.push(`  ... and ${findings.length - 20} more`);
    return (
      `refused: ${workspace} at ${commit.slice(0, 12)} is not published: ${files} file(s) hold what looks like a ` +
      `credential (secretlint rule/finding; the values are not shown):\n${lines.join("\n")}\n` +
      `Nothing was written. Take the credential out of the commit and revoke it (it is in git's history), ` +
      `or, in the workspace's .wspubignore, exclude the file (publish without it) or allow it with !<path> ` +
      `(publish it as it is). A line can also carry a "secretlint-disable-line" comment.`
    );
  },
  pullRequestHeadMissing: (sha: string, ref: string) =>
    `the pull request's head commit ${sha.slice(0, 12)} is not in this clone and could not be fetched (git fetch ` +
    `origin ${ref}): check out the head with actions/checkout's "ref: \${{ github.event.pull_request.head.sha }}"`,
  credentialScanSkipped: (count: number, limit: string, names: string, more: boolean) =>
    `${count} new file(s) over ${limit} were published without a credential scan of their content: ` +
    `${names}${more ? ", ..." : ""}`,
} as const;

/** What a preview workspace previews (manifest/pointer.ts's PreviewOf). */
interface Preview {
  of: string;
  branch: string;
  pullRequest?: number;
}

/** `app for branch feature/x`, or `app for pull request #7 (branch feature/x)`. */
const previewed = (p: Preview) =>
  p.pullRequest === undefined
    ? `${p.of} for branch ${p.branch}`
    : `${p.of} for pull request #${p.pullRequest} (branch ${p.branch})`;

/** Up to five paths, quoted, and how many more. */
function namedPaths(paths: readonly string[]): string {
  const named = paths
    .slice(0, 5)
    .map((p) => JSON.stringify(p))
    .join(", ");
  return paths.length > 5 ? `${named} and ${paths.length - 5} more` : named;
}
