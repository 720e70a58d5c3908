import { usageError } from "../errors.js";

/** S3's limit on a key's length in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/**
 * Where a workspace lives in a store. The layout is a contract with the mount and the monitor:
 *   <prefix>/<name>/<path>                 the files (symlinks as <path>.rclonelink)
 *   <prefix>/.wspub/<name>/live.json       the pointer to the live commit
 *   <prefix>/.wspub/<name>/manifests/<commit>-<digest>.json   one immutable manifest root per publish
 *   <prefix>/.wspub/<name>/manifests/shards/<digest>.json     content-addressed manifest shards
 */
export class Layout {
  readonly filesPrefix: string;
  readonly metaPrefix: string;

  constructor(
    readonly prefix: string,
    readonly workspace: string,
  ) {
    const root = prefix === "" ? "" : `${prefix}/`;
    this.filesPrefix = `${root}${workspace}/`;
    this.metaPrefix = `${root}.wspub/${workspace}/`;
  }

  objectKey(name: string): string {
    return `${this.filesPrefix}${name}`;
  }
  get pointerKey(): string {
    return `${this.metaPrefix}live.json`;
  }
  manifestKey(commit: string, digest: string): string {
    return `${this.metaPrefix}manifests/${commit}-${digest}.json`;
  }
  shardKey(digest: string): string {
    return `${this.metaPrefix}manifests/shards/${digest}.json`;
  }
  /** The object name under the workspace prefix for a listed key. */
  nameOf(key: string): string {
    return key.slice(this.filesPrefix.length);
  }
}

/** Workspace names are one path segment, safe as a key prefix: no `/`, no `..`, no leading dot. */
export function validateWorkspaceName(name: string): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(name) || name.length > 200) {
    throw usageError(
      `invalid workspace name ${JSON.stringify(name)}: use letters, digits, '.', '_' and '-', not starting with '.' or '-' ` +
        `(set a name for this directory under "workspaces" in wspub.config.json)`,
    );
  }
  return name;
}

export function keyTooLong(key: string): boolean {
  return Buffer.byteLength(key, "utf8") > MAX_KEY_BYTES;
}
