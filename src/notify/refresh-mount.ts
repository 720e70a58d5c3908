import { RC_FORGET_TIMEOUT_MS, RC_REFRESH_TIMEOUT_MS } from "../limits.js";
import { callRc, RcError, type RcTarget } from "./rc-client.js";
import { forgetParams } from "./mount-dir.js";

/**
 * Makes an rclone mount re-read a workspace directory now instead of when its directory cache
 * (--dir-cache-time) expires: rclone's S3 backend cannot poll for changes, so only the remote
 * control (or a SIGHUP, which drops every cache) makes a mount see a publish.
 *
 * vfs/forget marks the directory's ancestors stale (see forgetParams: a new workspace must appear
 * in listings that may still be fresh), then vfs/refresh recursive=true re-reads the whole tree:
 * unlike a plain lookup it ignores the directory cache's age, updates the nodes the kernel already
 * holds, and drops what the publish deleted. `dir` is relative to the mount's root ("" for the
 * whole mount). Throws RcError when the mount did not confirm the refresh.
 */
export async function refreshMount(target: RcTarget, dir: string, recursive = true): Promise<void> {
  const forget = forgetParams(dir);
  if (Object.keys(forget).length > 0) await callRc(target, "vfs/forget", forget, RC_FORGET_TIMEOUT_MS);
  await refreshTree(target, dir, recursive);
}

/**
 * vfs/refresh of `dir`, recursive=true unless `recursive` is false (the directory that holds an
 * atomic workspace's link, read again alone). rclone answers "file does not exist" to `dir: ""`:
 * the mount's root is refreshed by passing no dir. Also used a second time, once the kernel's
 * attribute timeout has passed, to drop what a reader put back meanwhile: with --vfs-cache-mode
 * full, opening a file re-adds it to its directory, so a file the publish deleted and a reader
 * opened through a kernel entry from before the refresh reappears until the next re-read (rclone
 * vfs/dir.go addObject).
 */
export async function refreshTree(target: RcTarget, dir: string, recursive = true): Promise<void> {
  const params = { ...(dir === "" ? {} : { dir }), ...(recursive ? { recursive: "true" } : {}) };
  const out = await callRc(target, "vfs/refresh", params, RC_REFRESH_TIMEOUT_MS);
  // {"result": {"<dir>": "OK"}}; a path the mount cannot find reads "file does not exist".
  const result = out["result"];
  const statuses =
    typeof result === "object" && result !== null ? Object.values(result as Record<string, unknown>) : [];
  if (statuses.length === 0) throw new RcError(`vfs/refresh returned no result (${JSON.stringify(out).slice(0, 200)})`);
  const bad = statuses.find((s) => s !== "OK");
  if (bad === undefined) return;
  if (bad === "file does not exist") {
    throw new RcError(
      `the mount has no directory ${JSON.stringify(dir)}: check that it mounts the target's bucket, and that the ` +
        `mount's "root" is the path after the bucket in its remote (remote:bucket/<root>)`,
    );
  }
  throw new RcError(`vfs/refresh of ${JSON.stringify(dir)}: ${String(bad)}`);
}
