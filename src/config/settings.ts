import { defaultStoreDir, parseTarget, type Target } from "../store/target.js";
import type { Config } from "./schema.js";
import { usageError } from "../errors.js";

export interface StoreFlags {
  target?: string | undefined;
  endpoint?: string | undefined;
  region?: string | undefined;
  concurrency?: number | undefined;
}

export interface StoreSettings {
  target: Target;
  endpoint: string | undefined;
  region: string | undefined;
  concurrency: number;
  /** True when nothing named a target and the embedded local store is used. */
  isDefault: boolean;
}

export const DEFAULT_CONCURRENCY = 16;

/** Flags > environment > config, for every store setting. Relative paths in the config are relative to the repository. */
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
  let target: Target;
  let isDefault = false;
  if (flags.target) target = parseTarget(flags.target, paths.cwd);
  else if (env["WSPUB_TARGET"]) target = parseTarget(env["WSPUB_TARGET"], paths.cwd);
  else if (config.target) target = parseTarget(config.target, paths.repoRoot);
  else {
    target = parseTarget(defaultStoreDir(env), paths.cwd);
    isDefault = true;
  }
  const concurrency =
    flags.concurrency ??
    (env["WSPUB_CONCURRENCY"] ? Number(env["WSPUB_CONCURRENCY"]) : undefined) ??
    config.concurrency ??
    DEFAULT_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw usageError(`invalid concurrency ${concurrency}: give an integer from 1 to 64`);
  }
  return { target, endpoint, region, concurrency, isDefault };
}
