import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { usageError } from "../errors.js";

/** Where a target's text points: a bucket and a key prefix, or a local directory. */
export type TargetAddress =
  | { kind: "s3"; bucket: string; prefix: string; url: string }
  | { kind: "dir"; root: string; prefix: ""; url: string };

/**
 * The one description of where wspub publishes, made once from flags, environment and config (see
 * config/settings.ts): it opens the store, roots the Layout and is what every output shows.
 * `url` is the target as a user would give it again: `s3://bucket/prefix`, or the directory.
 */
export type Target =
  | (Extract<TargetAddress, { kind: "s3" }> & { endpoint: string | undefined; region: string | undefined })
  | Extract<TargetAddress, { kind: "dir" }>;

/** The embedded default store, used when no target is configured anywhere. */
export function defaultStoreDir(env: NodeJS.ProcessEnv): string {
  const xdg = env["XDG_DATA_HOME"];
  const data = xdg && isAbsolute(xdg) ? xdg : join(homedir(), ".local", "share");
  return join(data, "wspub", "store");
}

/** `s3://bucket[/prefix]`, `file:///abs/dir`, or a plain path (relative to `cwd`). */
export function parseTarget(text: string, cwd: string): TargetAddress {
  if (text.startsWith("s3://")) return parseS3(text);
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

function parseS3(text: string): TargetAddress {
  const rest = text.slice("s3://".length);
  const slash = rest.indexOf("/");
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const prefix = (slash < 0 ? "" : rest.slice(slash + 1)).replace(/^\/+|\/+$/g, "");
  // S3 bucket names are 3-63 characters (some S3-compatible servers allow a little more).
  if (!/^[a-z0-9][a-z0-9.\-_]{1,253}[a-z0-9]$/i.test(bucket)) {
    throw usageError(
      `invalid target ${JSON.stringify(text)}: expected s3://bucket[/prefix] with a valid bucket name ` +
        `(3 or more letters, digits, '.', '-')`,
    );
  }
  if (prefix.split("/").some((s) => s === "." || s === ".." || (prefix !== "" && s === ""))) {
    throw usageError(`invalid target ${JSON.stringify(text)}: the prefix must not contain empty, '.' or '..' segments`);
  }
  return { kind: "s3", bucket, prefix, url: prefix ? `s3://${bucket}/${prefix}` : `s3://${bucket}` };
}

/** A parsed address with the S3 connection settings that go with it (a directory needs none). */
export function withConnection(
  address: TargetAddress,
  connection: { endpoint: string | undefined; region: string | undefined },
): Target {
  return address.kind === "s3" ? { ...address, endpoint: connection.endpoint, region: connection.region } : address;
}

/** The target as messages show it: its URL, and the endpoint of an S3 target. Never credentials. */
export function describeTarget(target: Target): string {
  return target.kind === "s3" ? `${target.url} (${target.endpoint ?? "AWS S3"})` : target.url;
}

/** The target as `--json` outputs carry it: the URL, and the endpoint on its own (null for AWS or a directory). */
export function targetFields(target: Target): { target: string; endpoint: string | null } {
  return { target: target.url, endpoint: target.kind === "s3" ? (target.endpoint ?? null) : null };
}
