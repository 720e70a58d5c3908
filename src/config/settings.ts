import { usageError } from "../errors.js";
import { CONCURRENCY } from "../limits.js";
import { defaultStoreDir, parseTarget, type Target, type TargetAddress, withConnection } from "../store/target.js";
import type { Config } from "./schema.js";

export interface StoreFlags {
  /** The target's text (CLI), or an address an entry point already parsed to check it (the Action). */
  target?: string | TargetAddress | undefined;
  endpoint?: string | undefined;
  region?: string | undefined;
  concurrency?: number | undefined;
}

export interface StoreSettings {
  target: Target;
  concurrency: number;
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
  return { target: withConnection(address, { endpoint, region }), concurrency, isDefault };
}

export const concurrencyRange = `give an integer from ${CONCURRENCY.min} to ${CONCURRENCY.max}`;
