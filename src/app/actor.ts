import { hostname, userInfo } from "node:os";

/** Who publishes, as the pointer (`publishedBy`) and the lock record name it. */
export function defaultActor(env: NodeJS.ProcessEnv): string {
  if (env["WSPUB_ACTOR"]) return env["WSPUB_ACTOR"];
  if (env["GITHUB_ACTOR"]) return `${env["GITHUB_ACTOR"]} (GitHub Actions)`;
  let user = "unknown";
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (some containers)
  }
  return `${user}@${hostname()}`;
}
