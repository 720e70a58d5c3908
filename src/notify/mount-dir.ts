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
 * The parameters of the `vfs/forget` call before a workspace directory is refreshed.
 *
 * Every ancestor and the directory itself are passed as `file=...`: forgetting a *file* only marks
 * its parent directory stale (rclone vfs/dir.go ForgetPath), so a workspace published for the first
 * time, or under a new prefix, is found although a listing further up is still fresh, and nothing
 * cached is dropped. The directory is deliberately not passed as `dir=...`, which would drop its
 * cached nodes: a reader that opens a file through the kernel's still-valid entry (up to
 * --attr-timeout) would then put the old node back into the directory (with --vfs-cache-mode full
 * every open re-adds the file as a "virtual" entry), and that old version would hide the new one
 * until --dir-cache-time. The refresh that follows re-reads the tree anyway and updates the nodes it
 * finds in place. Empty when the mount shows the workspace itself (nothing above it to invalidate).
 */
export function forgetParams(dir: string): Record<string, string> {
  if (dir === "") return {};
  const params: Record<string, string> = {};
  const segments = dir.split("/");
  for (let i = 1; i <= segments.length; i++) params[`file${i}`] = segments.slice(0, i).join("/");
  return params;
}
