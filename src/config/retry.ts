import { usageError } from "../errors.js";
import { RETRY_DELAYS_S, RETRY_MAX_S } from "../limits.js";
import type { Config } from "./schema.js";

/** How a background publish (hooks, `wspub watch`) retries a failure that retrying can fix. */
export interface RetryPolicy {
  /** Delay before attempt 2, 3, ...; the last one repeats. */
  delaysMs: number[];
  /** Retrying stops once this long has passed since the first failure. */
  maxMs: number;
}

/** Environment (WSPUB_RETRY_DELAYS, seconds, comma-separated; WSPUB_RETRY_MAX_SECONDS) > config "retry" > defaults. */
export function resolveRetryPolicy(env: NodeJS.ProcessEnv, config: Config): RetryPolicy {
  const fromEnv = env["WSPUB_RETRY_DELAYS"];
  const delays = fromEnv ? fromEnv.split(",").map((s) => Number(s.trim())) : (config.retry?.delays ?? RETRY_DELAYS_S);
  if (delays.length === 0 || delays.some((d) => !Number.isFinite(d) || d < 0)) {
    throw usageError(
      `invalid retry delays ${JSON.stringify(fromEnv ?? delays)}: give seconds, 0 or more, comma-separated`,
    );
  }
  const maxText = env["WSPUB_RETRY_MAX_SECONDS"];
  const max = maxText ? Number(maxText) : (config.retry?.maxSeconds ?? RETRY_MAX_S);
  if (!Number.isFinite(max) || max < 0) throw usageError(`invalid WSPUB_RETRY_MAX_SECONDS ${JSON.stringify(maxText)}`);
  return { delaysMs: delays.map((d) => d * 1000), maxMs: max * 1000 };
}

/** The delay before retry number `attempt` (1 = the first retry). */
export function retryDelay(policy: RetryPolicy, attempt: number): number {
  return policy.delaysMs[Math.min(attempt, policy.delaysMs.length) - 1] ?? 0;
}
