import * as core from "@actions/core";
import { WspubError } from "../errors.js";
import type { PublishEvent, Reporter } from "../events.js";
import type { PublishResult } from "../publish/request.js";
import { pushWorkspaces } from "../app/push.js";
import { deletePreviews } from "../app/remove.js";
import { eventAction } from "./event.js";
import { type ActionOptions, readInputs } from "./inputs.js";
import { short, summaryMarkdown } from "./summary.js";
import { formatBytes, formatPublish } from "../report/text.js";

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
    const event = eventAction(env);
    if (event.kind === "none") {
      core.info(`wspub: ${event.why}`);
      core.setOutput("changed", "false");
      return;
    }
    if (event.kind === "remove-preview") {
      await removePreviews(options, event.branch, env);
      return;
    }
    let published: { result: PublishResult; where: string } | undefined;
    await pushWorkspaces({
      ...options,
      requireTarget: true,
      reporter: actionReporter(),
      onResult: (result, where) => (published = { result, where }),
    });
    if (!published) throw new Error("pushWorkspaces returned no result");
    const { result, where } = published;
    setOutputs(result);
    core.info(formatPublish(result, where));
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

/** A branch was deleted: its previews go (a preview that is not there is not an error). */
async function removePreviews(options: ActionOptions, branch: string, env: NodeJS.ProcessEnv): Promise<void> {
  const removed = await deletePreviews({ ...options, requireTarget: true, reporter: actionReporter(), branch });
  const gone = removed.filter((r) => r.existed);
  for (const r of removed) {
    core.info(
      r.existed
        ? `wspub: removed ${r.workspace}, the preview of branch ${branch}: ${r.objects} objects, ${r.records} records`
        : `wspub: no preview ${r.workspace} of branch ${branch} to remove`,
    );
  }
  // The previews there were (a dry run removes nothing: nothing deleted, nothing changed).
  core.setOutput("preview", gone.map((r) => r.workspace).join(" "));
  core.setOutput("deleted", options.dryRun ? 0 : gone.reduce((sum, r) => sum + r.objects, 0));
  core.setOutput("changed", !options.dryRun && gone.length > 0 ? "true" : "false");
  const lines = removed.map((r) => `- \`${r.workspace}\`: ${r.existed ? `removed (${r.objects} objects)` : "none"}`);
  await writeSummary(`### wspub: branch \`${branch}\` deleted, its previews removed\n\n${lines.join("\n")}\n`, env);
}

function setOutputs(r: PublishResult): void {
  core.setOutput("commit", r.commit);
  core.setOutput("previous", r.previous ?? "");
  core.setOutput("uploaded", r.uploaded);
  core.setOutput("copied", r.copied);
  core.setOutput("deleted", r.deleted);
  core.setOutput("manifest", r.manifest ?? "");
  core.setOutput("preview", r.preview ? r.workspace : "");
  const changed = !r.dryRun && !r.noop && r.uploaded + r.copied + r.deleted > 0;
  core.setOutput("changed", changed ? "true" : "false");
}

/**
 * Appends to GITHUB_STEP_SUMMARY. The publish has succeeded by now: a summary that cannot be written
 * is only a warning.
 */
async function writeSummary(markdown: string, env: NodeJS.ProcessEnv): Promise<void> {
  if (!env["GITHUB_STEP_SUMMARY"]) return;
  try {
    await core.summary.addRaw(markdown).write();
  } catch (e) {
    core.warning(`could not write the job summary: ${(e as Error).message}`);
  }
}

const PROGRESS_EVERY_MS = 10_000;

/** Library events -> the workflow log. */
function actionReporter(): Reporter {
  let lastProgress = Date.now();
  return {
    event(e: PublishEvent) {
      switch (e.type) {
        case "notice":
          core.info(e.message);
          break;
        case "warning":
          core.warning(e.message);
          break;
        case "plan":
          core.info(
            `plan for ${e.workspace} ${short(e.commit)} (live: ${short(e.previous)}): ${e.put} to upload ` +
              `(${formatBytes(e.bytes)}), ${e.copy} to copy, ${e.delete} to delete, ${e.keep} unchanged`,
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
