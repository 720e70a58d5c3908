import * as core from "@actions/core";
import { usageError, WspubError } from "../errors.js";
import { messages } from "../messages.js";
import type { PublishEvent, Reporter } from "../publish/events.js";
import type { PublishResult } from "../publish/publish.js";
import { pushWorkspaces } from "../publish/push-workspaces.js";
import { defaultStoreDir, parseTarget } from "../store/target.js";
import { readInputs } from "./inputs.js";
import { formatBytes, short, summaryMarkdown } from "./summary.js";

/** Credentials the runner must mask in the log if anything ever printed them. */
const SECRET_VARIABLES = ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] as const;

/**
 * The Action: inputs -> pushWorkspaces -> outputs and job summary. Notices become log lines,
 * warnings become warning annotations; a failure (including a refused publish) fails the step with
 * the library's message. It never throws and never exits the process.
 */
export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  try {
    for (const name of SECRET_VARIABLES) {
      const value = env[name];
      if (value) core.setSecret(value);
    }
    const options = readInputs(env);
    let published: { result: PublishResult; where: string } | undefined;
    await pushWorkspaces({
      ...options,
      reporter: actionReporter(localStoreNotice(env, options.cwd)),
      onResult: (result, where) => (published = { result, where }),
    });
    if (!published) throw new Error("pushWorkspaces returned no result");
    const { result, where } = published;
    setOutputs(result);
    core.info(describe(result, where));
    await writeSummary(summaryMarkdown(result, where), env);
  } catch (e) {
    if (e instanceof WspubError) {
      if (e.cause !== undefined) core.debug(`cause: ${String((e.cause as Error).stack ?? e.cause)}`);
      core.setFailed(`wspub: ${e.message}`);
    } else {
      core.setFailed(`wspub: internal error (please report it with this log): ${(e as Error).stack ?? String(e)}`);
    }
  }
}

function setOutputs(r: PublishResult): void {
  core.setOutput("commit", r.commit);
  core.setOutput("previous", r.previous ?? "");
  core.setOutput("uploaded", r.uploaded);
  core.setOutput("copied", r.copied);
  core.setOutput("deleted", r.deleted);
  core.setOutput("manifest", r.dryRun ? "" : r.manifest);
  const changed = !r.dryRun && !r.noop && r.uploaded + r.copied + r.deleted > 0;
  core.setOutput("changed", changed ? "true" : "false");
}

function describe(r: PublishResult, where: string): string {
  const head = r.dryRun
    ? `dry run: would publish ${r.workspace} ${short(r.commit)} (live: ${short(r.previous)}) to ${where}`
    : r.noop
      ? `${r.workspace} ${short(r.commit)} is already live at ${where}: nothing to do`
      : `published ${r.workspace} ${short(r.commit)} (was ${short(r.previous)}) to ${where}`;
  const verb = r.dryRun ? "would be " : "";
  return `${head}\n  ${r.uploaded} ${verb}uploaded (${formatBytes(r.bytesUploaded)}), ${r.copied} ${verb}copied, ${r.deleted} ${verb}deleted, ${r.unchanged} unchanged; ${r.files} files, ${r.excluded} excluded; ${(r.durationMs / 1000).toFixed(2)} s`;
}

/** Appends to GITHUB_STEP_SUMMARY. The publish has succeeded by now: a summary that cannot be written is only a warning. */
async function writeSummary(markdown: string, env: NodeJS.ProcessEnv): Promise<void> {
  if (!env["GITHUB_STEP_SUMMARY"]) return;
  try {
    await core.summary.addRaw(markdown).write();
  } catch (e) {
    core.warning(`could not write the job summary: ${(e as Error).message}`);
  }
}

const PROGRESS_EVERY_MS = 10_000;

/**
 * Library events -> the workflow log. `localStore` is the notice the library gives when nothing
 * names a target: on a runner that store is thrown away with the job, so the Action refuses
 * (throwing here stops before the store is opened; nothing is written).
 */
function actionReporter(localStore: string): Reporter {
  let lastProgress = Date.now();
  return {
    event(e: PublishEvent) {
      switch (e.type) {
        case "notice":
          if (e.message === localStore) {
            throw usageError(
              `no target: set the "target" input (s3://bucket[/prefix]), WSPUB_TARGET, or "target" in wspub.config.json ` +
                `(the local default store would be discarded with the runner)`,
            );
          }
          core.info(e.message);
          break;
        case "warning":
          core.warning(e.message);
          break;
        case "plan":
          core.info(
            `plan for ${e.workspace} ${short(e.commit)} (live: ${short(e.previous)}): ${e.put} to upload (${formatBytes(e.bytes)}), ` +
              `${e.copy} to copy, ${e.delete} to delete, ${e.keep} unchanged`,
          );
          break;
        case "progress":
          if (e.done === e.total || Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
            lastProgress = Date.now();
            core.info(`  ${e.done}/${e.total} objects written (${formatBytes(e.bytes)} uploaded)`);
          }
          break;
      }
    },
  };
}

function localStoreNotice(env: NodeJS.ProcessEnv, cwd: string): string {
  return messages.defaultStore(parseTarget(defaultStoreDir(env), cwd).url);
}
