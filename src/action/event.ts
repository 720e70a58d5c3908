import { readFileSync } from "node:fs";
import { branchMatches } from "../hooks/branches.js";

/** A preview the event asks for: a branch's, or a pull request's (`<name>--pr-<N>`, its head branch recorded). */
export interface EventPreview {
  branch: string;
  pullRequest?: number;
}

/** What the triggering event asks of the Action. */
export type EventAction =
  /** `ref`: the commit to publish; `fetch`: where to fetch it from when the clone lacks it (a PR's head). */
  | { kind: "publish"; ref: string; preview?: EventPreview; fetch?: string }
  | { kind: "remove-preview"; preview: EventPreview }
  | { kind: "skip"; why: string };

/** What the event rules need besides the event: the inputs and the repository's branch configuration. */
export interface EventRules {
  /** The `ref` input, when given: a deliberate publish of that ref, whatever the event. */
  ref: string | undefined;
  /** The `preview` input: previews on (a pushed branch that is not configured, a pull request). */
  preview: boolean;
  /** The `event-rules` input: false publishes whatever the event (wspub before event rules). */
  enabled: boolean;
  /** The branches published into the workspace: the config's `branches`, else the default branch. */
  branches: readonly string[];
  /** The config's `previews.branches`: pushed branches published to their previews. */
  previewBranches: readonly string[];
  /** Whether previews are on: the `preview` input, or a `previews` section in the config. */
  previews: boolean;
}

/** The event of the run: GITHUB_EVENT_NAME and the payload at GITHUB_EVENT_PATH. */
export interface GithubEvent {
  name: string;
  payload: Record<string, unknown>;
  /** GITHUB_SHA: the commit the run is for (a pull request's: GitHub's merge commit). */
  sha: string;
  /** GITHUB_REF. */
  ref: string;
}

export function readEvent(env: NodeJS.ProcessEnv): GithubEvent {
  return {
    name: env["GITHUB_EVENT_NAME"] ?? "",
    payload: readPayload(env["GITHUB_EVENT_PATH"]),
    sha: env["GITHUB_SHA"] || "HEAD",
    ref: env["GITHUB_REF"] ?? "",
  };
}

/** Events whose commit nobody has merged: a merge queue's candidate. */
const UNMERGED = new Set(["merge_group"]);

/**
 * What to do for this event (README, "Publish from CI"): never publish unmerged code into the
 * workspace. A push to a configured branch, workflow_dispatch, schedule (and other events) publish
 * as before; a pull request publishes its head to its preview when previews are on, and its close
 * removes that preview; a tag, or a branch that is not configured, publishes nothing; a branch's
 * deletion removes its preview. An explicit `ref` input, or `event-rules: false`, publishes anyway.
 */
export function eventAction(event: GithubEvent, rules: EventRules): EventAction {
  const branchOf = (ref: string) => (ref.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : undefined);
  const triggering = () => headBranch(event.payload) ?? branchOf(event.ref);
  const { name, payload } = event;
  // A deleted branch has nothing to publish, whatever the inputs: its previews go.
  if (name === "delete") {
    const ref = str(payload["ref"]);
    if (payload["ref_type"] === "branch" && ref) return { kind: "remove-preview", preview: { branch: ref } };
    return { kind: "skip", why: `a ${str(payload["ref_type"]) || "ref"} was deleted: there is nothing to publish` };
  }
  // A publish the event does not decide: into the workspace, or with previews on, a branch that
  // is not configured to its preview (a rollback from "Run workflow" on main goes to the workspace).
  const asTriggered = (ref: string): EventAction => {
    const branch = triggering();
    if (!rules.preview || branch === undefined || branchMatches(branch, rules.branches))
      return { kind: "publish", ref };
    return { kind: "publish", ref, preview: { branch } };
  };
  if (rules.ref !== undefined || !rules.enabled) return asTriggered(rules.ref ?? event.sha);
  if (name === "pull_request" || name === "pull_request_target") return pullRequestAction(payload, rules);
  const pr = object(payload["pull_request"])["number"];
  if (typeof pr === "number" || event.ref.startsWith("refs/pull/")) {
    const which = typeof pr === "number" ? `pull request #${pr}` : event.ref;
    return { kind: "skip", why: `a ${name} event is about ${which}, which is not merged: nothing is published` };
  }
  if (UNMERGED.has(name)) return { kind: "skip", why: `a ${name} event is for a commit nobody has merged yet` };
  if (name !== "push") return asTriggered(event.sha);
  if (event.ref.startsWith("refs/tags/")) {
    return { kind: "skip", why: `a tag was pushed (${event.ref.slice("refs/tags/".length)}): tags are not published` };
  }
  const branch = branchOf(event.ref);
  if (branch === undefined) return { kind: "skip", why: `${event.ref || "the pushed ref"} is not a branch` };
  if (payload["deleted"] === true) {
    return { kind: "skip", why: `branch ${branch} was deleted (its delete event removes its preview)` };
  }
  if (branchMatches(branch, rules.branches)) return { kind: "publish", ref: event.sha };
  if (rules.preview || branchMatches(branch, rules.previewBranches)) {
    return { kind: "publish", ref: event.sha, preview: { branch } };
  }
  return {
    kind: "skip",
    why:
      `branch ${branch} is not a configured branch (${rules.branches.join(", ")}): nothing is published ` +
      `(set "branches" or "previews.branches" in wspub.config.json, or the input "preview")`,
  };
}

/** A pull request: its head to its preview, its close removes it; never into the workspace. */
function pullRequestAction(payload: Record<string, unknown>, rules: EventRules): EventAction {
  const pr = object(payload["pull_request"]);
  const number = typeof payload["number"] === "number" ? payload["number"] : pr["number"];
  const head = object(pr["head"]);
  const branch = str(head["ref"]);
  const sha = str(head["sha"]);
  if (typeof number !== "number" || !branch || !sha) {
    return { kind: "skip", why: "the pull_request event payload has no pull request number, head branch or commit" };
  }
  const preview = { branch, pullRequest: number };
  // Whether previews are on or not (they may have been on when it was published).
  if (payload["action"] === "closed") return { kind: "remove-preview", preview };
  const never = `pull request #${number} is not merged: its code is never published into the workspace`;
  if (!rules.previews) {
    return {
      kind: "skip",
      why: `${never}, and previews are off (input "preview", or "previews" in wspub.config.json)`,
    };
  }
  const baseRepo = str(object(object(pr["base"])["repo"])["full_name"]);
  const headRepo = str(object(head["repo"])["full_name"]);
  if (headRepo !== baseRepo) {
    return {
      kind: "skip",
      why:
        `pull request #${number} comes from a fork (${headRepo || "a deleted repository"}): its code is not ` +
        "published (the monitor would run it)",
    };
  }
  return { kind: "publish", ref: sha, preview, fetch: `refs/pull/${number}/head` };
}

/** A pull request event's head branch (GITHUB_HEAD_REF's value). */
function headBranch(payload: Record<string, unknown>): string | undefined {
  return str(object(object(payload["pull_request"])["head"])["ref"]) || undefined;
}

const str = (v: unknown) => (typeof v === "string" ? v : "");
const object = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null ? (v as Record<string, unknown>) : {};

function readPayload(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  try {
    return object(JSON.parse(readFileSync(path, "utf8")) as unknown);
  } catch {
    return {};
  }
}
