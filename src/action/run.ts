import * as core from "@actions/core";
import { gitInputError, WspubError } from "../errors.js";
import type { PublishEvent, Reporter } from "../events.js";
import type { PublishResult } from "../publish/request.js";
import { pushWorkspaces } from "../app/push.js";
import { deletePreviews } from "../app/remove.js";
import { openGit } from "../git/cli-git.js";
import type { GitRepository } from "../git/port.js";
import { branchRules } from "../hooks/branches.js";
import { messages } from "../messages.js";
import { type EventAction, type EventPreview, eventAction, type GithubEvent, readEvent } from "./event.js";
import { type ActionOptions, type EventInputs, readEventInputs, readInputs } from "./inputs.js";
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
    const event = await decide(options.cwd, readEvent(env), readEventInputs());
    if (event.kind === "skip") {
      await skipped(event.why, env);
      return;
    }
    if (event.kind === "remove-preview") {
      await removePreviews(options, event.preview, env);
      return;
    }
    let published: { result: PublishResult; where: string } | undefined;
    await pushWorkspaces({
      ...options,
      ref: event.ref,
      preview: event.preview,
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

/**
 * What this run does (action/event.ts), from the event, the inputs and the repository's branch
 * rules (the default branch as the event names it); a pull request's head is fetched here when
 * the checkout lacks it.
 */
async function decide(cwd: string, github: GithubEvent, inputs: EventInputs): Promise<EventAction> {
  const git = await openGit(cwd);
  try {
    const named = (github.payload["repository"] as { default_branch?: unknown } | undefined)?.default_branch;
    const rules = await branchRules(git, typeof named === "string" && named !== "" ? named : undefined);
    const event = eventAction(github, {
      ...inputs,
      branches: rules.branches,
      previewBranches: rules.previews,
      previews: inputs.preview || rules.previewsConfigured,
    });
    if (event.kind === "publish" && event.fetch) await fetchHead(git, event.ref, event.fetch);
    return event;
  } finally {
    await git.close();
  }
}

/** A pull request's head commit, which a default checkout (GitHub's merge commit, depth 1) does not hold. */
async function fetchHead(git: GitRepository, sha: string, ref: string): Promise<void> {
  if (await git.hasCommit(sha)) return;
  core.info(`wspub: fetching ${ref} (${short(sha)}) from origin`);
  // By its id first (a head force-pushed since the event is no longer at the ref), then by the ref.
  const fetched = (await git.fetchRef("origin", sha)) || (await git.fetchRef("origin", ref));
  if (!fetched || !(await git.hasCommit(sha))) throw gitInputError(messages.pullRequestHeadMissing(sha, ref));
}

/** Nothing to publish for this event: said in the log, the outputs and the job summary; the step succeeds. */
async function skipped(why: string, env: NodeJS.ProcessEnv): Promise<void> {
  core.info(`wspub: nothing published: ${why}`);
  core.setOutput("published", "false");
  core.setOutput("skipped", why);
  core.setOutput("changed", "false");
  core.setOutput("preview", "");
  await writeSummary(`### wspub: nothing published\n\n${why}\n`, env);
}

/** A branch was deleted, or a pull request closed: its previews go (a preview that is not there is not an error). */
async function removePreviews(options: ActionOptions, preview: EventPreview, env: NodeJS.ProcessEnv): Promise<void> {
  const removed = await deletePreviews({ ...options, requireTarget: true, reporter: actionReporter(), ...preview });
  const gone = removed.filter((r) => r.existed);
  const of = preview.pullRequest === undefined ? `branch ${preview.branch}` : `pull request #${preview.pullRequest}`;
  for (const r of removed) {
    core.info(
      r.existed
        ? `wspub: removed ${r.workspace}, the preview of ${of}: ${r.objects} objects, ${r.records} records`
        : `wspub: no preview ${r.workspace} of ${of} to remove`,
    );
  }
  // The previews there were (a dry run removes nothing: nothing deleted, nothing changed).
  core.setOutput("preview", gone.map((r) => r.workspace).join(" "));
  core.setOutput("deleted", options.dryRun ? 0 : gone.reduce((sum, r) => sum + r.objects, 0));
  core.setOutput("changed", !options.dryRun && gone.length > 0 ? "true" : "false");
  core.setOutput("published", "false");
  core.setOutput("skipped", "");
  const lines = removed.map((r) => `- \`${r.workspace}\`: ${r.existed ? `removed (${r.objects} objects)` : "none"}`);
  const title =
    preview.pullRequest === undefined
      ? `branch \`${preview.branch}\` deleted, its previews removed`
      : `pull request #${preview.pullRequest} closed, its previews removed`;
  await writeSummary(`### wspub: ${title}\n\n${lines.join("\n")}\n`, env);
}

function setOutputs(r: PublishResult): void {
  core.setOutput("commit", r.commit);
  core.setOutput("previous", r.previous ?? "");
  core.setOutput("uploaded", r.uploaded);
  core.setOutput("copied", r.copied);
  core.setOutput("deleted", r.deleted);
  core.setOutput("manifest", r.manifest ?? "");
  core.setOutput("preview", r.preview ? r.workspace : "");
  core.setOutput("published", r.dryRun ? "false" : "true");
  core.setOutput("skipped", "");
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
