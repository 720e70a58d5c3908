import { statSync } from "node:fs";
import { resolve } from "node:path";
import * as core from "@actions/core";
import { usageError, WspubError } from "../errors.js";
import type { PushOptions } from "../app/push.js";
import { CONCURRENCY } from "../limits.js";
import { parseTarget } from "../store/target.js";

/** What the Action passes to pushWorkspaces, before the reporter is attached (the event decides ref and preview). */
export type ActionOptions = Omit<PushOptions, "reporter" | "onResult" | "ref" | "preview">;

/** The inputs the event rules weigh (action/event.ts). */
export interface EventInputs {
  /** The `ref` input, when given. */
  ref: string | undefined;
  preview: boolean;
  /** `event-rules` (default true). */
  enabled: boolean;
}

/**
 * The only module that reads the Action's inputs (every read is a `...Input("name")` call with the
 * literal name, which a test checks against action.yml). It builds the same typed PushOptions the
 * CLI builds, and rejects bad values before anything is opened, naming the input.
 *
 * Credentials are not inputs: the AWS SDK reads them from the environment (set by
 * aws-actions/configure-aws-credentials, or secrets in `env:`).
 */
export function readInputs(env: NodeJS.ProcessEnv): ActionOptions {
  const cwd = directoryInput("working-directory", env["GITHUB_WORKSPACE"] || process.cwd());
  // Parsed once here, so that a bad value names the input; the settings take the parsed address.
  const text = core.getInput("target");
  const target = text === "" ? undefined : named("target", () => parseTarget(text, cwd));
  const endpoint = core.getInput("endpoint") || undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^/\s]+/.test(endpoint)) {
    throw usageError(
      `input "endpoint" must be an http(s) URL such as https://s3.example.com or http://minio:9000, got ` +
        `${JSON.stringify(endpoint)}`,
    );
  }
  const region = core.getInput("region") || undefined;
  const concurrency = integerInput("concurrency", CONCURRENCY.min, CONCURRENCY.max);
  return {
    cwd,
    env,
    workspace: core.getInput("workspace") || undefined,
    force: booleanInput("force"),
    dryRun: booleanInput("dry-run"),
    // Empty: $WSPUB_MAX_DELETE, then the config's "maxDelete", then the default rule.
    maxDelete: integerInput("max-delete", 0, Number.MAX_SAFE_INTEGER),
    // Empty: $WSPUB_ATOMIC, then the config's "atomic", decide.
    atomic: core.getInput("atomic") === "" ? undefined : booleanInput("atomic"),
    store: { target, endpoint, region, concurrency, layout: core.getInput("layout") || undefined },
    actor: actor(env),
  };
}

export function readEventInputs(): EventInputs {
  const eventRules = core.getInput("event-rules");
  return {
    ref: core.getInput("ref") || undefined,
    preview: booleanInput("preview"),
    enabled: eventRules === "" ? true : booleanInput("event-rules"),
  };
}

function booleanInput(name: string): boolean {
  const raw = core.getInput(name);
  if (raw === "") return false;
  try {
    return core.getBooleanInput(name);
  } catch {
    throw usageError(`input "${name}" must be true or false, got ${JSON.stringify(raw)}`);
  }
}

function integerInput(name: string, min: number, max: number): number | undefined {
  const raw = core.getInput(name);
  if (raw === "") return undefined;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw usageError(`input "${name}" must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** A directory, relative to `base` (GITHUB_WORKSPACE); `base` itself when the input is empty. */
function directoryInput(name: string, base: string): string {
  const raw = core.getInput(name);
  const dir = resolve(base, raw);
  if (!(statSync(dir, { throwIfNoEntry: false })?.isDirectory() ?? false)) {
    throw usageError(
      `input "${name}": ${dir} is not a directory (a relative path is resolved against GITHUB_WORKSPACE, ${base})`,
    );
  }
  return dir;
}

/** Runs a library check and names the input in its message. */
function named<T>(name: string, check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof WspubError) throw usageError(`input "${name}": ${e.message}`, e);
    throw e;
  }
}

/** Recorded as `publishedBy` in the pointer: which workflow run published. */
function actor(env: NodeJS.ProcessEnv): string | undefined {
  const repo = env["GITHUB_REPOSITORY"];
  const runId = env["GITHUB_RUN_ID"];
  if (!repo || !runId) return undefined;
  return `github-actions ${repo} run ${runId}${env["GITHUB_ACTOR"] ? ` (${env["GITHUB_ACTOR"]})` : ""}`;
}
