import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { e2eSetup, runCli, type Installed } from "../harness/cli.js";
import { devEnv, gitIn, liveCommit, settled, waitFor } from "../harness/hook-env.js";
import { createBucket } from "../harness/seaweed.js";
import { switchableProxy } from "../harness/switchable-proxy.js";

/**
 * Issue 11, part 1 and 2: every way the configured branch of a workspace moves publishes it, with
 * a bare remote and a second clone as a team has them; and a publish that fails because the
 * endpoint is down goes live by itself once it is back.
 */
const s3 = inject("s3");
let cli: Installed;
let client: S3Client;
const bucket = `moves-${process.pid}`;
const table: string[] = [];
const { temp } = e2eSetup(s3, (c, k) => {
  cli = c;
  client = k;
});
beforeAll(() => createBucket(s3, bucket));
// Registered after e2eSetup: runs before its clean-up.
afterAll(() => {
  if (table.length > 0) console.info(`how main moved -> published?\n${table.join("\n")}`);
});

describe("hooks: every way main moves publishes (reference-transaction)", () => {
  const env = () => devEnv(s3, cli.bin);
  let remote: string;
  let a: string; // the workspace with the hooks
  let b: string; // a teammate's clone
  const name = "served";
  const prefix = "moves";
  const git = (dir: string, ...args: string[]) => {
    const r = gitIn(dir, args, env());
    if (r.code !== 0) throw new Error(`git ${args.join(" ")} failed: ${r.stderr}`);
  };
  const write = (dir: string, file: string, text: string) =>
    execFileSync("sh", ["-c", `printf '%s' '${text}' > '${file}'`], { cwd: dir });
  const commit = (dir: string, file: string, text: string) => {
    write(dir, file, text);
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "-m", `${file}: ${text}`);
  };
  const tip = () => execFileSync("git", ["rev-parse", "refs/heads/main"], { cwd: a, encoding: "utf8" }).trim();

  /** Runs a row, then waits until main's tip is live (it fails after 30 s). */
  async function row(label: string, move: () => void): Promise<void> {
    move();
    const want = tip();
    try {
      await waitFor(`${label}: main's tip to be live`, async () =>
        (await liveCommit(client, bucket, prefix, name)) === want ? true : undefined,
      );
      await settled(a);
      table.push(`| ${label} | yes |`);
    } catch (e) {
      table.push(`| ${label} | **no** |`);
      const state = join(a, ".git/wspub");
      const files = readdirSync(state).map((f) => `${f}: ${readFileSync(join(state, f), "utf8").slice(-2000)}`);
      const ps = execFileSync("ps", ["-eo", "pid,etimes,args"], { encoding: "utf8" })
        .split("\n")
        .filter((l) => l.includes("hooks run"));
      const refs = execFileSync("git", ["reflog", "-n", "6", "main"], { cwd: a, encoding: "utf8" });
      throw new Error(
        `${(e as Error).message}\n--- main: ${tip()}\n${refs}--- .git/wspub ---\n${files.join("\n")}\n--- publishers ---\n${ps.join("\n")}`,
      );
    }
  }

  beforeAll(() => {
    const root = temp("wspub-moves-");
    remote = join(root, "origin.git");
    execFileSync("git", ["init", "-q", "--bare", "-b", "main", remote]);
    a = join(root, name);
    execFileSync("git", ["clone", "-q", remote, a], { env: env() });
    const config = { target: `s3://${bucket}/${prefix}`, endpoint: s3.endpoint };
    write(a, "wspub.config.json", JSON.stringify(config));
    commit(a, "app.txt", "v1");
    git(a, "push", "-q", "origin", "main");
    execFileSync("git", ["remote", "set-head", "origin", "main"], { cwd: a });
    b = join(root, "teammate");
    execFileSync("git", ["clone", "-q", remote, b], { env: env() });
    const installed = runCli(cli.bin, ["hooks", "install"], { cwd: a, env: {} });
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.stdout).toMatch(/reference-transaction: installed/);
    expect(existsSync(join(a, ".git/hooks/post-commit"))).toBe(false);
  });

  it("commit, amend", async () => {
    await row("`git commit`", () => commit(a, "app.txt", "v2"));
    await row("`git commit --amend`", () => {
      write(a, "app.txt", "v2 amended");
      git(a, "commit", "-q", "-a", "--amend", "-m", "amended");
    });
  });

  it("pull fast-forward, pull creating a merge, pull --rebase", async () => {
    git(a, "push", "-q", "-f", "origin", "main");
    git(b, "pull", "-q", "-f", "--no-rebase", "origin", "main");
    await row("`git pull` fast-forward", () => {
      git(b, "reset", "-q", "--hard", "origin/main");
      commit(b, "b.txt", "from b 1");
      git(b, "push", "-q", "origin", "main");
      git(a, "pull", "-q", "--ff-only");
    });
    await row("`git pull` creating a merge commit", () => {
      commit(b, "b.txt", "from b 2");
      git(b, "push", "-q", "origin", "main");
      commit(a, "a.txt", "local a 1");
      git(a, "pull", "-q", "--no-rebase", "--no-edit");
    });
    await row("`git pull --rebase` with local commits", () => {
      git(a, "push", "-q", "origin", "main");
      git(b, "pull", "-q", "--no-rebase");
      commit(b, "b.txt", "from b 3");
      git(b, "push", "-q", "origin", "main");
      commit(a, "a.txt", "local a 2");
      git(a, "pull", "-q", "--rebase");
    });
  });

  it("merge --no-ff and --ff-only of a feature branch, cherry-pick, revert, rebase", async () => {
    await row("`git merge --no-ff feature`", () => {
      git(a, "checkout", "-q", "-b", "feature");
      commit(a, "f.txt", "feature 1");
      git(a, "checkout", "-q", "main");
      git(a, "merge", "-q", "--no-ff", "feature", "-m", "merge feature");
    });
    await row("`git merge --ff-only feature`", () => {
      git(a, "checkout", "-q", "feature");
      git(a, "merge", "-q", "--ff-only", "main");
      commit(a, "f.txt", "feature 2");
      git(a, "checkout", "-q", "main");
      git(a, "merge", "-q", "--ff-only", "feature");
    });
    await row("`git cherry-pick`", () => {
      git(a, "checkout", "-q", "feature");
      commit(a, "g.txt", "picked");
      git(a, "checkout", "-q", "main");
      git(a, "cherry-pick", "feature");
    });
    await row("`git revert`", () => git(a, "revert", "--no-edit", "HEAD"));
    await row("`git rebase` of local commits", () => {
      commit(a, "r.txt", "one");
      commit(a, "r.txt", "two");
      git(a, "rebase", "-q", "--force-rebase", "HEAD~2");
    });
  });

  it("reset --hard HEAD~2, update-ref, checkout -B", async () => {
    await row("`git reset --hard HEAD~2`", () => git(a, "reset", "-q", "--hard", "HEAD~2"));
    const files = () => runCli(cli.bin, ["verify"], { cwd: a, env: devEnv(s3, cli.bin) as Record<string, string> });
    expect(files().code).toBe(0);
    await row("`git update-ref refs/heads/main`", () => {
      const tree = execFileSync("git", ["rev-parse", "HEAD^{tree}"], { cwd: a, encoding: "utf8" }).trim();
      const made = execFileSync("git", ["commit-tree", tree, "-p", "HEAD", "-m", "made by plumbing"], {
        cwd: a,
        env: env(),
        encoding: "utf8",
      }).trim();
      git(a, "update-ref", "refs/heads/main", made);
    });
    await row("`git checkout -B main <commit>` (from another branch)", () => {
      git(a, "checkout", "-q", "feature");
      git(a, "checkout", "-q", "-B", "main", "feature");
    });
  });

  it("a fetch or a feature branch commit starts no publish", async () => {
    const log = () => readFileSync(join(a, ".git/wspub/hook.log"), "utf8");
    const before = log();
    commit(b, "b.txt", "from b 4");
    git(b, "push", "-q", "-f", "origin", "main");
    git(a, "fetch", "-q");
    await new Promise((r) => setTimeout(r, 800));
    expect(log()).toBe(before);
    git(a, "checkout", "-q", "-b", "topic");
    commit(a, "t.txt", "topic");
    await waitFor("the topic commit to be logged", () =>
      log().includes("no configured branch moved") ? true : undefined,
    );
    expect(log().slice(before.length)).not.toMatch(/publishing/);
  });
});

describe("hooks: a failed publish retries until it is live", () => {
  it("the endpoint is down at commit time: retried with backoff, live once it is back, with no other git command", async () => {
    const proxy = await switchableProxy(s3.endpoint);
    try {
      const dir = temp("wspub-retry-");
      execFileSync("git", ["init", "-q", "-b", "main", dir]);
      const env = devEnv(s3, cli.bin, { WSPUB_RETRY_DELAYS: "0.3,0.6,1" });
      const run = (...args: string[]) => {
        const r = gitIn(dir, args, env);
        if (r.code !== 0) throw new Error(r.stderr);
        return r;
      };
      execFileSync(
        "sh",
        [
          "-c",
          `printf '%s' '${JSON.stringify({ target: `s3://${bucket}/retry`, endpoint: proxy.endpoint })}' > wspub.config.json`,
        ],
        { cwd: dir },
      );
      run("add", "-A");
      run("commit", "-q", "-m", "config");
      expect(runCli(cli.bin, ["hooks", "install"], { cwd: dir, env: {} }).code).toBe(0);
      await proxy.down();
      execFileSync("sh", ["-c", "echo 1 > a.txt"], { cwd: dir });
      run("add", "-A");
      run("commit", "-q", "-m", "while down");
      const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: dir, encoding: "utf8" }).trim();
      const name = dir.split("/").pop()!;
      const lastError = join(dir, ".git/wspub/last-error");
      await waitFor("a retry to be scheduled", () =>
        existsSync(lastError) && readFileSync(lastError, "utf8").includes("retrying in") ? true : undefined,
      );
      expect(readFileSync(lastError, "utf8")).toMatch(
        /cannot reach the S3 endpoint .* \(retrying in [\d.]+ (s|ms), attempt \d+\)/,
      );
      const status = runCli(cli.bin, ["hooks", "status"], { cwd: dir, env: {} });
      expect(status.stdout).toMatch(/retrying in/);
      expect(await liveCommit(client, bucket, "retry", name)).toBeUndefined();
      await proxy.up();
      await waitFor("the commit to go live by itself", async () =>
        (await liveCommit(client, bucket, "retry", name)) === head ? true : undefined,
      );
      await settled(dir);
      expect(existsSync(lastError)).toBe(false);
      const log = readFileSync(join(dir, ".git/wspub/hook.log"), "utf8");
      expect(log).toMatch(/retrying in/);
      expect(log).toMatch(/reference-transaction: published main/);
    } finally {
      await proxy.close();
    }
  });
});
