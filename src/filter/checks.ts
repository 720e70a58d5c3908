import { posix } from "node:path";
import { usageError } from "../errors.js";
import type { GitReader } from "../git/port.js";
import { messages } from "../messages.js";
import { keyTooLong, type Layout, type LayoutStyle, objectName } from "../store/layout.js";
import type { PublishFile } from "./publish-set.js";

/**
 * Refuses, before anything is written, paths the bucket cannot hold as they are: two paths with
 * one object name, control characters, names that are not UTF-8, keys over S3's limit.
 */
export function checkNames(files: readonly PublishFile[], layout: Layout): void {
  const [conflict] = objectNameConflicts(files, layout.style);
  if (conflict !== undefined) throw usageError(messages.objectNameConflict(conflict));
  for (const file of files) {
    // XML 1.0 (S3 listings) cannot carry these: the object could never be listed, verified or deleted by name.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
    const control = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.exec(file.path);
    if (control) throw usageError(messages.controlCharacter(file.path, control[0]));
    // git stores names as bytes; one that is not UTF-8 reaches us with U+FFFD and would be published under
    // another name.
    if (file.path.includes("\ufffd")) throw usageError(messages.notUtf8(file.path));
    if (keyTooLong(layout.objectKey(layout.objectName(file.path, file.mode))))
      throw usageError(messages.keyTooLong(file.path));
  }
}

/** Object names that two paths map to (a symlink `x` next to a file `x.rclonelink`). */
export function objectNameConflicts(files: readonly PublishFile[], style: LayoutStyle = "rclone"): string[] {
  const seen = new Set<string>();
  const conflicts: string[] = [];
  for (const file of files) {
    const object = objectName(file.path, file.mode, style);
    if (seen.has(object)) conflicts.push(object);
    seen.add(object);
  }
  return conflicts;
}

/** A symlink whose target leaves the workspace would dangle (or worse, point into the host) in the mount. */
export async function checkSymlinks(git: GitReader, files: readonly PublishFile[]): Promise<void> {
  for (const file of files) {
    if (file.mode !== "120000") continue;
    const target = (await git.readObject(file.oid))?.toString("utf8") ?? "";
    const resolved = posix.normalize(posix.join(posix.dirname(file.path), target));
    if (target.startsWith("/") || resolved === ".." || resolved.startsWith("../")) {
      throw usageError(messages.symlinkOutside(file.path, target));
    }
  }
}
