import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { usageError } from "../errors.js";

export type Target =
  | { kind: "s3"; bucket: string; prefix: string; url: string }
  | { kind: "dir"; root: string; prefix: string; url: string };

/** The embedded default store, used when no target is configured anywhere. */
export function defaultStoreDir(env: NodeJS.ProcessEnv): string {
  const data =
    env["XDG_DATA_HOME"] && isAbsolute(env["XDG_DATA_HOME"])
      ? env["XDG_DATA_HOME"]
      : join(homedir(), ".local", "share");
  return join(data, "wspub", "store");
}

/** `s3://bucket[/prefix]`, `file:///abs/dir`, or a plain path (relative to `cwd`). */
export function parseTarget(text: string, cwd: string): Target {
  if (text.startsWith("s3://")) {
    const rest = text.slice("s3://".length);
    const slash = rest.indexOf("/");
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const prefix = (slash < 0 ? "" : rest.slice(slash + 1)).replace(/^\/+|\/+$/g, "");
    // S3 bucket names are 3-63 characters (some S3-compatible servers allow a little more).
    if (!/^[a-z0-9][a-z0-9.\-_]{1,253}[a-z0-9]$/i.test(bucket)) {
      throw usageError(
        `invalid target ${JSON.stringify(text)}: expected s3://bucket[/prefix] with a valid bucket name (3 or more letters, digits, '.', '-')`,
      );
    }
    if (prefix.split("/").some((s) => s === "." || s === ".." || (prefix !== "" && s === ""))) {
      throw usageError(
        `invalid target ${JSON.stringify(text)}: the prefix must not contain empty, '.' or '..' segments`,
      );
    }
    return { kind: "s3", bucket, prefix, url: prefix ? `s3://${bucket}/${prefix}` : `s3://${bucket}` };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text) && !text.startsWith("file://")) {
    throw usageError(
      `unsupported target ${JSON.stringify(text)}: use s3://bucket[/prefix], file:///abs/dir or a directory path`,
    );
  }
  let root: string;
  try {
    root = text.startsWith("file://") ? fileURLToPath(text) : resolve(cwd, text);
  } catch (cause) {
    throw usageError(`invalid target ${JSON.stringify(text)}: ${(cause as Error).message}`, cause);
  }
  return { kind: "dir", root, prefix: "", url: root };
}
