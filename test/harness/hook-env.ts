import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { cleanEnv, type S3Endpoint } from "./seaweed.js";

/** The environment a developer's shell gives git: credentials, the installed wspub on PATH, a short quiet period. */
export function devEnv(s3: S3Endpoint, bin: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = cleanEnv({
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    WSPUB_HOOK_QUIET_MS: "300",
    GIT_AUTHOR_NAME: "Dev",
    GIT_AUTHOR_EMAIL: "dev@example.com",
    GIT_COMMITTER_NAME: "Dev",
    GIT_COMMITTER_EMAIL: "dev@example.com",
    ...extra,
  });
  env["PATH"] = [dirname(process.execPath), dirname(bin), env["PATH"] ?? ""].join(delimiter);
  return env;
}

/** Runs git as a developer would (hooks fire); the wall time is measured. */
export function gitIn(
  dir: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): { code: number; stderr: string; ms: number } {
  const t0 = performance.now();
  const r = spawnSync("git", args, { cwd: dir, env, encoding: "utf8" });
  return { code: r.status ?? -1, stderr: r.stderr, ms: performance.now() - t0 };
}

/** The commit the pointer names, or undefined when nothing is published. */
export async function liveCommit(
  client: S3Client,
  bucket: string,
  prefix: string,
  name: string,
): Promise<string | undefined> {
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}/.wspub/${name}/live.json` }));
    return (JSON.parse(await out.Body!.transformToString()) as { commit: string }).commit;
  } catch {
    return undefined;
  }
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until no background publisher holds the repository's lock and nothing is pending. */
export async function settled(dir: string): Promise<void> {
  const state = join(dir, ".git", "wspub");
  await waitFor(
    "the background publisher to finish",
    () =>
      !existsSync(join(state, "lock")) &&
      !existsSync(join(state, "pending.json")) &&
      existsSync(join(state, "last-result.json")),
  );
}
