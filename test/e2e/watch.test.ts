import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startFaultProxy, mixedRates } from "../harness/fault-proxy.js";
import { liveCommit, waitFor } from "../harness/hook-env.js";
import { freePort } from "../harness/rclone.js";
import { createBucket, s3Client } from "../harness/seaweed.js";
import { switchableProxy } from "../harness/switchable-proxy.js";
import { startImageCommand, type WatchProcess } from "../harness/watch-process.js";

/**
 * Issue 11, part 3: `wspub watch`, run as its image runs it (the Dockerfile's ENTRYPOINT + CMD,
 * from the image's file layout), over a directory of real repositories with a bare remote.
 */
const s3 = inject("s3");
let client: S3Client;
let bucket: string;
const scratch: string[] = [];
const GIT_ENV = {
  GIT_AUTHOR_NAME: "Dev",
  GIT_AUTHOR_EMAIL: "dev@example.com",
  GIT_COMMITTER_NAME: "Dev",
  GIT_COMMITTER_EMAIL: "dev@example.com",
};

beforeAll(async () => {
  client = s3Client(s3);
  bucket = `watch-${process.pid}`;
  await createBucket(s3, bucket);
});
afterAll(() => {
  client?.destroy();
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

function temp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}
const git = (dir: string, ...args: string[]) =>
  execFileSync("git", args, { cwd: dir, env: { ...process.env, ...GIT_ENV }, encoding: "utf8" }).trim();
function commit(dir: string, file: string, text: string): string {
  mkdirSync(join(dir, file, ".."), { recursive: true });
  writeFileSync(join(dir, file), text);
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", `${file}: ${text}`);
  return git(dir, "rev-parse", "HEAD");
}
function newRepo(dir: string, files: Record<string, string>): string {
  execFileSync("git", ["init", "-q", "-b", "main", dir]);
  for (const [f, t] of Object.entries(files)) writeFileSync(join(dir, f), t);
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", "initial");
  return git(dir, "rev-parse", "HEAD");
}
const live = (prefix: string, name: string) => liveCommit(client, bucket, prefix, name);
const untilLive = (prefix: string, name: string, commitId: string, timeoutMs = 30_000) =>
  waitFor(
    `${name} ${commitId.slice(0, 8)} to be live`,
    async () => ((await live(prefix, name)) === commitId ? true : undefined),
    timeoutMs,
  );

describe("wspub watch: the sync service", () => {
  let svc: WatchProcess | undefined;
  afterAll(() => svc?.cleanup());

  it("catches up, publishes a pull and a commit, picks up a repository added later, serves /healthz and /metrics, stops on SIGTERM", async () => {
    const root = temp("wspub-watch-");
    const workspaces = join(root, "workspaces");
    mkdirSync(workspaces);
    // www: a clone of a team's bare remote, as a server checkout is; api: a repository of its own.
    const remote = join(root, "www.git");
    execFileSync("git", ["init", "-q", "--bare", "-b", "main", remote]);
    const teammate = join(root, "teammate");
    newRepo(teammate, { "index.html": "<h1>v1</h1>\n" });
    git(teammate, "remote", "add", "origin", remote);
    git(teammate, "push", "-q", "origin", "main");
    const www = join(workspaces, "www");
    git(root, "clone", "-q", remote, www);
    const api = join(workspaces, "api");
    const api1 = newRepo(api, { "app.js": "v1\n" });
    const port = await freePort();
    svc = startImageCommand({
      workspaces,
      listen: `127.0.0.1:${port}`,
      env: {
        AWS_ACCESS_KEY_ID: s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
        AWS_ENDPOINT_URL: s3.endpoint,
        WSPUB_TARGET: `s3://${bucket}/svc`,
      },
      extra: ["--poll", "1", "--reconcile", "3"],
    });
    // Catch-up: both are published at start.
    await untilLive("svc", "www", git(www, "rev-parse", "HEAD"));
    await untilLive("svc", "api", api1);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.text()).toMatch(/^ok/);

    // A teammate pushes; the server's clone pulls: published without anything else.
    const pushed = commit(teammate, "index.html", "<h1>v2</h1>\n");
    git(teammate, "push", "-q", "origin", "main");
    git(www, "pull", "-q", "--ff-only");
    await untilLive("svc", "www", pushed);
    // A commit in place.
    await untilLive("svc", "api", commit(api, "app.js", "v2\n"));
    // A repository that appears later is picked up.
    const later = join(workspaces, "later");
    const later1 = newRepo(later, { "x.txt": "x\n" });
    await untilLive("svc", "later", later1);
    // One that disappears is dropped, and stays published.
    rmSync(api, { recursive: true, force: true });
    await svc.waitFor("api to be dropped", (l) => l.event === "repository" && l["change"] === "removed");
    expect(await live("svc", "api")).toBeDefined();

    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^# TYPE wspub_publishes_total counter$/m);
    expect(metrics).toMatch(/^wspub_publishes_total\{workspace="www",result="published"\} [2-9]$/m);
    expect(metrics).toMatch(/^wspub_live_files\{workspace="later"\} 1$/m);
    expect(metrics).toMatch(/^wspub_commits_not_live\{workspace="www"\} 0$/m);
    expect(metrics).toMatch(/^wspub_last_success_timestamp_seconds\{workspace="api"\} \d{10}$/m);
    const published = svc.lines.filter((l) => l.event === "published");
    expect(published.map((l) => (l["result"] as { workspace: string }).workspace)).toEqual(
      expect.arrayContaining(["www", "api", "later"]),
    );

    const stopped = await svc.stop();
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(10_000);
    expect(svc.lines.at(-1)).toMatchObject({ event: "stopped", abandoned: 0 });
  });

  it("the endpoint is down: failures are retried with backoff, and the commit goes live once it is back", async () => {
    const proxy = await switchableProxy(s3.endpoint);
    const root = temp("wspub-down-");
    const workspaces = join(root, "workspaces");
    mkdirSync(workspaces);
    const repo = join(workspaces, "down");
    const first = newRepo(repo, { "a.txt": "a\n" });
    await proxy.down();
    const port = await freePort();
    const down = startImageCommand({
      workspaces,
      listen: `127.0.0.1:${port}`,
      env: {
        AWS_ACCESS_KEY_ID: s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
        AWS_ENDPOINT_URL: proxy.endpoint,
        WSPUB_TARGET: `s3://${bucket}/down`,
        WSPUB_RETRY_DELAYS: "0.3,0.6",
      },
    });
    try {
      const failed = await down.waitFor("a failure", (l) => l.event === "failed");
      expect(failed).toMatchObject({ dir: repo, commit: first, retryInMs: 300 });
      expect(String(failed["message"])).toMatch(/cannot reach the S3 endpoint/);
      await down.waitFor("a second failure, later", (l) => l.event === "failed" && l["retryInMs"] === 600);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(503);
      await proxy.up();
      await untilLive("down", "down", first);
      expect(await down.waitFor("the retry's publish", (l) => l.event === "published")).toMatchObject({
        trigger: "retry",
      });
      await waitFor("/healthz to answer 200", async () =>
        (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200 ? true : undefined,
      );
      expect((await down.stop()).code).toBe(0);
    } finally {
      down.cleanup();
      await proxy.close();
    }
  });

  it("a soak through injected faults: every failure is retried, and the last commit ends up live and whole", async () => {
    const proxy = await startFaultProxy({ upstream: s3.endpoint, seed: 1111, rates: mixedRates(0.15) });
    const root = temp("wspub-soak-");
    const workspaces = join(root, "workspaces");
    mkdirSync(workspaces);
    const repo = join(workspaces, "soak");
    newRepo(repo, { "a.txt": "0\n" });
    const port = await freePort();
    const soak = startImageCommand({
      workspaces,
      listen: `127.0.0.1:${port}`,
      env: {
        AWS_ACCESS_KEY_ID: s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
        AWS_ENDPOINT_URL: proxy.endpoint,
        WSPUB_TARGET: `s3://${bucket}/soak`,
        WSPUB_RETRY_DELAYS: "0.2,0.5,1",
      },
      extra: ["--poll", "1", "--reconcile", "2"],
    });
    try {
      await soak.waitFor("the first publish", (l) => l.event === "published" || l.event === "failed");
      const rssStart = soak.rssKb();
      let last = "";
      for (let i = 1; i <= 40; i++) {
        last = commit(repo, `f${i % 7}.txt`, `${i}\n`);
        await new Promise((r) => setTimeout(r, 120));
      }
      await untilLive("soak", "soak", last, 60_000);
      proxy.setRates({});
      const rssEnd = soak.rssKb();
      const failed = soak.lines.filter((l) => l.event === "failed");
      const ok = soak.lines.filter((l) => l.event === "published");
      console.info(
        `soak: 40 commits, ${ok.length} publishes, ${failed.length} failures (all retried: ${failed.every((l) => l["retryInMs"] !== null)}), ` +
          `${proxy.stats().totalFaults} faults injected in ${proxy.stats().requests} requests; RSS ${rssStart} -> ${rssEnd} KiB`,
      );
      expect(failed.every((l) => l["retryInMs"] !== null)).toBe(true);
      // The bucket holds exactly the last commit.
      const verify = execFileSync(
        process.execPath,
        [
          join(import.meta.dirname, "../../bin/wspub.js"),
          "verify",
          "--target",
          `s3://${bucket}/soak`,
          "--endpoint",
          s3.endpoint,
          "--deep",
        ],
        {
          cwd: repo,
          env: { ...process.env, AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey },
          encoding: "utf8",
        },
      );
      expect(verify).toMatch(/^ok: soak at/);
      expect((await soak.stop()).code).toBe(0);
    } finally {
      soak.cleanup();
      await proxy.close();
    }
  });
});
