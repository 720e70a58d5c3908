import { readFileSync } from "node:fs";

/** What the triggering event asks of the Action, before any input is looked at. */
export type EventAction =
  | { kind: "publish" }
  | { kind: "remove-preview"; branch: string }
  | { kind: "none"; why: string };

/**
 * The event the run is for (GITHUB_EVENT_NAME and the payload at GITHUB_EVENT_PATH): a branch's
 * `delete` removes that branch's previews; a tag's does nothing; anything else publishes.
 */
export function eventAction(env: NodeJS.ProcessEnv): EventAction {
  if (env["GITHUB_EVENT_NAME"] !== "delete") return { kind: "publish" };
  const payload = readPayload(env["GITHUB_EVENT_PATH"]);
  const ref = typeof payload["ref"] === "string" ? payload["ref"] : "";
  if (payload["ref_type"] === "branch" && ref !== "") return { kind: "remove-preview", branch: ref };
  return { kind: "none", why: `a ${String(payload["ref_type"] ?? "ref")} was deleted: there is nothing to publish` };
}

function readPayload(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  try {
    const value = JSON.parse(readFileSync(path, "utf8")) as unknown;
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
