/**
 * Where a workspace is inside an rclone mount, and what to tell rclone to forget.
 *
 * A workspace's files are under `<prefix>/<name>/` in the bucket. A mount of `remote:bucket`
 * shows them at `<prefix>/<name>`; a mount of `remote:bucket/<root>` shows them at that path
 * relative to `<root>`, so `root` is the part of the mounted remote path after the bucket.
 */

/** Normalises a mount root ("", "sites", "/sites/" -> "sites"); undefined if it has "." or ".." segments. */
export function normaliseRoot(root: string): string | undefined {
  const trimmed = root.replace(/^\/+|\/+$/g, "");
  if (trimmed === "") return "";
  const segments = trimmed.split("/");
  return segments.some((s) => s === "" || s === "." || s === "..") ? undefined : trimmed;
}

/**
 * The workspace's directory relative to the mount's root ("" when the mount shows the workspace
 * itself), or undefined when the workspace is not under the mounted path.
 * `filesPrefix` is the layout's `<prefix>/<name>/`; `root` is normalised.
 */
export function workspaceDirInMount(filesPrefix: string, root: string): string | undefined {
  const dir = filesPrefix.replace(/\/+$/, "");
  if (root === "") return dir;
  if (dir === root) return "";
  return dir.startsWith(`${root}/`) ? dir.slice(root.length + 1) : undefined;
}

/**
 * The parameters of one `vfs/forget` call for a workspace directory.
 *
 * `dir=<dir>` drops the cached listings of the directory and everything below it and marks its
 * parent stale. A workspace published for the first time (or under a new prefix) is missing from
 * listings further up that may still be fresh, so each ancestor is also passed as `file=...`:
 * forgetting a *file* only marks its parent directory stale, without dropping the cached
 * subtrees of the other workspaces. (rclone vfs/rc.go: keys starting with "file" or "dir".)
 */
export function forgetParams(dir: string): Record<string, string> {
  if (dir === "") return {};
  const params: Record<string, string> = {};
  const segments = dir.split("/");
  for (let i = 1; i < segments.length; i++) params[`file${i}`] = segments.slice(0, i).join("/");
  params["dir"] = dir;
  return params;
}
