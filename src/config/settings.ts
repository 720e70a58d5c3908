import { usageError } from "../errors.js";
import { CONCURRENCY } from "../limits.js";
import { defaultStoreDir, parseTarget, type Target, type TargetAddress, withConnection } from "../store/target.js";
import { LAYOUT_STYLES, type LayoutStyle } from "../store/layout.js";
import type { Config } from "./schema.js";
import { LFS_MODES, type LfsMode } from "../filter/lfs.js";

export interface StoreFlags {
  /** The target's text (CLI), or an address an entry point already parsed to check it (the Action). */
  target?: string | TargetAddress | undefined;
  endpoint?: string | undefined;
  region?: string | undefined;
  concurrency?: number | undefined;
  /** --layout: how objects are laid out for the mount (store/layout.ts). */
  layout?: string | undefined;
}

export interface StoreSettings {
  target: Target;
  concurrency: number;
  layout: LayoutStyle;
  /** True when nothing named a target and the embedded local store is used. */
  isDefault: boolean;
}

/**
 * Flags > environment > config, for every store setting. Relative paths in the config are relative to
 * the repository.
 */
export function resolveStoreSettings(
  flags: StoreFlags,
  env: NodeJS.ProcessEnv,
  config: Config,
  paths: { cwd: string; repoRoot: string },
): StoreSettings {
  const pick = (...values: (string | undefined)[]) => values.find((v) => v !== undefined && v !== "");
  const endpoint = pick(flags.endpoint, env["AWS_ENDPOINT_URL_S3"], env["AWS_ENDPOINT_URL"], config.endpoint);
  if (endpoint !== undefined && !/^https?:\/\/[^/]+/.test(endpoint)) {
    throw usageError(`invalid endpoint ${JSON.stringify(endpoint)}: expected http(s)://host[:port]`);
  }
  const region =
    pick(flags.region, env["AWS_REGION"], env["AWS_DEFAULT_REGION"], config.region) ??
    (endpoint ? "us-east-1" : undefined);
  let address: TargetAddress;
  let isDefault = false;
  if (typeof flags.target === "object") address = flags.target;
  else if (flags.target) address = parseTarget(flags.target, paths.cwd);
  else if (env["WSPUB_TARGET"]) address = parseTarget(env["WSPUB_TARGET"], paths.cwd);
  else if (config.target) address = parseTarget(config.target, paths.repoRoot);
  else {
    address = parseTarget(defaultStoreDir(env), paths.cwd);
    isDefault = true;
  }
  const fromEnv = env["WSPUB_CONCURRENCY"] ? Number(env["WSPUB_CONCURRENCY"]) : undefined;
  const concurrency = flags.concurrency ?? fromEnv ?? config.concurrency ?? CONCURRENCY.default;
  if (!Number.isInteger(concurrency) || concurrency < CONCURRENCY.min || concurrency > CONCURRENCY.max) {
    throw usageError(`invalid concurrency ${concurrency}: ${concurrencyRange}`);
  }
  const layout = pick(flags.layout, env["WSPUB_LAYOUT"], config.layout) ?? "rclone";
  if (!LAYOUT_STYLES.includes(layout as LayoutStyle)) {
    throw usageError(
      `invalid layout ${JSON.stringify(layout)}: give ${LAYOUT_STYLES.join(" or ")} (the mount that reads it)`,
    );
  }
  if (layout === "s3fs" && address.kind === "dir") {
    throw usageError(`the s3fs layout is for an S3 bucket that s3fs mounts, not a directory (${address.url})`);
  }
  return {
    target: withConnection(address, { endpoint, region }),
    concurrency,
    layout: layout as LayoutStyle,
    isDefault,
  };
}

/** $WSPUB_LFS, else the config's "lfs", else "content": what is published for a Git LFS file. */
export function resolveLfsMode(env: NodeJS.ProcessEnv, config: Config): LfsMode {
  const mode = env["WSPUB_LFS"] || config.lfs || "content";
  if (!LFS_MODES.includes(mode as LfsMode)) {
    throw usageError(
      `invalid WSPUB_LFS=${JSON.stringify(mode)}: set it to content (what LFS files hold) or pointers ` +
        "(their pointer files)",
    );
  }
  return mode as LfsMode;
}

/** --max-delete, else $WSPUB_MAX_DELETE, else the config's "maxDelete"; undefined: the default rule. */
export function resolveMaxDelete(flag: number | undefined, env: NodeJS.ProcessEnv, config: Config): number | undefined {
  if (flag !== undefined) return flag;
  const text = env["WSPUB_MAX_DELETE"]?.trim();
  if (text !== undefined && text !== "") {
    if (!/^\d+$/.test(text)) {
      throw usageError(`invalid WSPUB_MAX_DELETE=${JSON.stringify(text)}: give a whole number of objects, 0 or more`);
    }
    return Number(text);
  }
  return config.maxDelete;
}

export const concurrencyRange = `give an integer from ${CONCURRENCY.min} to ${CONCURRENCY.max}`;
