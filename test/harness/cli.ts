import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { ListObjectsV2Command, GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll } from "vitest";
import { type TempRepo, tempRepo } from "./repo.js";
import { cleanEnv, createBucket, s3Client, type S3Endpoint } from "./seaweed.js";
import { spawnCollect } from "./spawn.js";

const repoRoot = resolve(import.meta.dirname, "../..");

export interface Installed {
  bin: string;
  cleanup(): void;
}

/**
 * Installs wspub as a user would: `npm pack` (which builds it through `prepare`), then
 * `npm install <tarball>` into a fresh prefix. The test runs `<prefix>/node_modules/.bin/wspub`.
 */
export function installCli(): Installed {
  const dir = mkdtempSync(join(tmpdir(), "wspub-install-"));
  const npmEnv = {
    ...process.env,
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
  };
  execFileSync("npm", ["pack", "--silent", "--pack-destination", dir], {
    cwd: repoRoot,
    env: npmEnv,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"));
  if (!tarball) throw new Error("npm pack produced no tarball");
  execFileSync("npm", ["install", "--prefer-offline", "--no-save", "--silent", join(dir, tarball)], {
    cwd: dir,
    env: npmEnv,
    stdio: ["ignore", "ignore", "inherit"],
  });
  return {
    bin: join(dir, "node_modules", ".bin", "wspub"),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment the installed CLI runs in: clean of the machine's AWS settings, the tests' Node first on PATH. */
function cliEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = cleanEnv(extra);
  // Its shebang finds `node` on PATH: the Node the tests run on comes first.
  env["PATH"] = [dirname(process.execPath), env["PATH"] ?? ""].join(delimiter);
  return env;
}

/** Runs the installed CLI by its path. */
export function runCli(bin: string, args: string[], options: { cwd: string; env?: Record<string, string> }): RunResult {
  const env = cliEnv(options.env ?? {});
  const r = spawnSync(bin, args, { cwd: options.cwd, env, encoding: "utf8", timeout: 240_000 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the installed CLI without blocking the event loop (the test watches a mount meanwhile). */
export function spawnCli(
  bin: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<RunResult> {
  return spawnCollect(bin, args, { cwd: options.cwd, env: cliEnv(options.env ?? {}) });
}

/** SHA-256 of bytes: maps of these compare byte-for-byte content with readable diffs and little memory. */
export const sha256 = (body: Buffer) => createHash("sha256").update(body).digest("hex");

/** Every object in a bucket under `prefix`: key (without prefix) -> SHA-256 of its bytes. */
export async function bucketObjects(client: S3Client, bucket: string, prefix = ""): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) {
      const body = await client.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key! }));
      out.set(o.Key!.slice(prefix.length), sha256(Buffer.from(await body.Body!.transformToByteArray())));
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/**
 * The usual set-up of an e2e file: the installed CLI and an S3 client, created before its tests
 * and closed after them, and temporary directories removed at the end. `ready` receives the CLI
 * and the client once they exist.
 */
export function e2eSetup(
  s3: S3Endpoint,
  ready: (cli: Installed, client: S3Client) => void,
): { scratch: string[]; temp: (prefix: string) => string } {
  const scratch: string[] = [];
  let cli: Installed | undefined;
  let client: S3Client | undefined;
  beforeAll(() => {
    cli = installCli();
    client = s3Client(s3);
    ready(cli, client);
  }, 240_000);
  afterAll(() => {
    client?.destroy();
    cli?.cleanup();
    for (const d of scratch) rmSync(d, { recursive: true, force: true });
  });
  const temp = (prefix: string) => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    scratch.push(d);
    return d;
  };
  return { scratch, temp };
}

/** What mountSetup makes: the installed CLI, the mount, a temporary directory and a repository `myapp` in it. */
export interface MountedRepo<M> {
  cli: Installed;
  mount: M;
  parent: string;
  repo: TempRepo;
}

/**
 * The set-up of an e2e file (or describe) that reads through a mount what the installed CLI
 * publishes: `bucket` created, then the mount `start` starts, the installed CLI, and a repository
 * `<parent>/myapp` in a new temporary directory `parent`, all stopped and removed after its tests.
 * It fails first if `unavailable` says why `needs` is missing (where the test must run, not skip).
 * `ready` receives them once they exist.
 */
export function mountSetup<M extends { stop(): Promise<void> }>(
  options: {
    s3: S3Endpoint;
    bucket: string;
    needs: string;
    unavailable: string | undefined;
    tempPrefix: string;
    start: () => Promise<M>;
  },
  ready: (made: MountedRepo<M>) => void,
): void {
  let mount: M | undefined;
  let cli: Installed | undefined;
  let parent: string | undefined;
  beforeAll(async () => {
    if (options.unavailable) throw new Error(`${options.needs} is required here (CI is set): ${options.unavailable}`);
    await createBucket(options.s3, options.bucket);
    mount = await options.start();
    cli = installCli();
    parent = mkdtempSync(join(tmpdir(), options.tempPrefix));
    ready({ cli, mount, parent, repo: tempRepo("", join(parent, "myapp")) });
  }, 240_000);
  afterAll(async () => {
    await mount?.stop();
    cli?.cleanup();
    if (parent) rmSync(parent, { recursive: true, force: true });
  });
}
