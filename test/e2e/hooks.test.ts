import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync, mkdirSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { e2eSetup, runCli, type Installed } from "../harness/cli.js";
import { tempRepo, type TempRepo } from "../harness/repo.js";
import { cleanEnv, createBucket } from "../harness/seaweed.js";
import { committedCredentials, fake } from "../harness/fake-credentials.js";

const s3 = inject("s3");
const repoRoot = join(import.meta.dirname, "../..");
let cli: Installed;
let client: S3Client;
const bucket = `hooks-${process.pid}`;
const { scratch } = e2eSetup(s3, (c, k) => {
  cli = c;
  client = k;
});
beforeAll(() => createBucket(s3, bucket));

/** The environment a developer's shell gives git: credentials, the installed wspub on PATH, a short quiet period. */
function devEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
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
  env["PATH"] = [dirname(process.execPath), dirname(cli.bin), env["PATH"] ?? ""].join(delimiter);
  return env;
}

function gitRun(repo: TempRepo, args: string[], env = devEnv()): { code: number; stderr: string; ms: number } {
  const t0 = performance.now();
  const r = spawnSync("git", args, { cwd: repo.dir, env, encoding: "utf8" });
  return { code: r.status ?? -1, stderr: r.stderr, ms: performance.now() - t0 };
}

let counter = 0;
/** A repository configured to publish to the test bucket under its own prefix. */
function newRepo(config: Record<string, unknown> = {}): { repo: TempRepo; prefix: string; name: string } {
  const repo = tempRepo("wspub-hooks-");
  scratch.push(repo.dir);
  const prefix = `p${++counter}`;
  repo.write({
    "wspub.config.json": JSON.stringify({ target: `s3://${bucket}/${prefix}`, endpoint: s3.endpoint, ...config }),
    "a.txt": "a\n",
  });
  repo.commit("initial");
  return { repo, prefix, name: repo.dir.split("/").pop()! };
}

async function liveCommit(prefix: string, name: string): Promise<string | undefined> {
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}/.wspub/${name}/live.json` }));
    return (JSON.parse(await out.Body!.transformToString()) as { commit: string }).commit;
  } catch {
    return undefined;
  }
}

async function waitFor<T>(
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
async function settled(repo: TempRepo): Promise<void> {
  const dir = join(repo.dir, ".git", "wspub");
  await waitFor(
    "the background publisher to finish",
    () =>
      !existsSync(join(dir, "lock")) &&
      !existsSync(join(dir, "pending.json")) &&
      existsSync(join(dir, "last-result.json")),
  );
}

const install = (repo: TempRepo, ...args: string[]) =>
  runCli(cli.bin, ["hooks", "install", ...args], { cwd: repo.dir, env: {} });
const logOf = (repo: TempRepo) => readFileSync(join(repo.dir, ".git", "wspub", "hook.log"), "utf8");

describe("git hooks, with real commits and pushes", () => {
  it("plain .git/hooks: a commit is published in the background; installing twice changes nothing", async () => {
    const { repo, prefix, name } = newRepo();
    const first = install(repo);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(join(repo.dir, ".git", "hooks"));
    expect(first.stdout).toMatch(/reference-transaction: installed\n {2}pre-push: installed/);
    const script = readFileSync(join(repo.dir, ".git/hooks/reference-transaction"), "utf8");
    const again = install(repo);
    expect(again.stdout).toMatch(/reference-transaction: unchanged/);
    expect(readFileSync(join(repo.dir, ".git/hooks/reference-transaction"), "utf8")).toBe(script);
    expect(existsSync(join(repo.dir, ".git/hooks/post-commit"))).toBe(false);

    repo.write({ "b.txt": "b\n" });
    repo.git("add", "-A");
    const commit = gitRun(repo, ["commit", "-q", "-m", "add b"]);
    expect(commit.code).toBe(0);
    const head = repo.git("rev-parse", "HEAD").trim();
    expect(
      await waitFor("HEAD to be live", async () => ((await liveCommit(prefix, name)) === head ? head : undefined)),
    ).toBe(head);
    await settled(repo);
    const status = runCli(cli.bin, ["status"], { cwd: repo.dir, env: devEnv() as Record<string, string> });
    expect(status.stdout).toContain("last background publish ok");
    expect(status.stdout).toContain(join(repo.dir, ".git", "wspub", "hook.log"));
  });

  it("never makes git commit wait for the network (an endpoint that never answers)", async () => {
    const sockets: Socket[] = [];
    const server: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    const { repo } = newRepo();
    try {
      repo.write({
        "wspub.config.json": JSON.stringify({ target: `s3://${bucket}/hang`, endpoint: `http://127.0.0.1:${port}` }),
      });
      repo.commit("hanging endpoint");
      install(repo, "--post-commit");
      repo.write({ "c.txt": "c\n" });
      repo.git("add", "-A");
      const commit = gitRun(repo, ["commit", "-q", "-m", "c"]);
      expect(commit.code).toBe(0);
      // The background publisher is now stuck on the silent server; the commit is not.
      await waitFor("the publisher to connect", () => sockets.length > 0 || undefined, 15_000);
      expect(commit.ms).toBeLessThan(2_000);
    } finally {
      const lock = join(repo.dir, ".git", "wspub", "lock");
      const pid = existsSync(lock) ? Number(readFileSync(lock, "utf8")) : 0;
      if (pid > 0) process.kill(pid, "SIGKILL");
      for (const s of sockets) s.destroy();
      server.close();
    }
  });

  it("keeps the user's existing hook working (with git's lines on its input), and uninstall puts it back", async () => {
    const { repo, prefix, name } = newRepo();
    const marker = join(repo.dir, ".git", "user-hook-ran");
    // The user's own reference-transaction hook: it sees every state and every line, as before.
    const original = `#!/bin/sh\nwhile read o n r; do [ "$1" = committed ] && [ "$r" = refs/heads/main ] && echo "$n" >> '${marker}'; done\nexit 0\n`;
    writeFileSync(join(repo.dir, ".git/hooks/reference-transaction"), original);
    chmodSync(join(repo.dir, ".git/hooks/reference-transaction"), 0o755);
    expect(install(repo, "--post-commit").stdout).toMatch(/reference-transaction: chained/);
    repo.write({ "d.txt": "d\n" });
    repo.git("add", "-A");
    expect(gitRun(repo, ["commit", "-q", "-m", "d"]).code).toBe(0);
    const head = repo.git("rev-parse", "HEAD").trim();
    expect(readFileSync(marker, "utf8").trim()).toBe(head);
    await waitFor("HEAD to be live", async () => ((await liveCommit(prefix, name)) === head ? true : undefined));
    const un = runCli(cli.bin, ["hooks", "uninstall"], { cwd: repo.dir, env: {} });
    expect(un.stdout).toMatch(/reference-transaction: restored/);
    expect(readFileSync(join(repo.dir, ".git/hooks/reference-transaction"), "utf8")).toBe(original);
    expect(existsSync(join(repo.dir, ".git/hooks/pre-push"))).toBe(false);
  });

  it("a custom core.hooksPath is where the hooks go", async () => {
    const { repo, prefix, name } = newRepo();
    repo.git("config", "core.hooksPath", "githooks");
    const r = install(repo);
    expect(r.stdout).toContain(join(repo.dir, "githooks"));
    expect(existsSync(join(repo.dir, "githooks", "reference-transaction"))).toBe(true);
    repo.write({ "e.txt": "e\n" });
    repo.git("add", "e.txt");
    expect(gitRun(repo, ["commit", "-q", "-m", "e"]).code).toBe(0);
    const head = repo.git("rev-parse", "HEAD").trim();
    await waitFor("HEAD to be live", async () => ((await liveCommit(prefix, name)) === head ? true : undefined));
  });

  it("a repository set up with the real husky: wspub's blocks live in .husky/ next to the user's commands", async () => {
    const { repo, prefix, name } = newRepo();
    execFileSync(process.execPath, [join(repoRoot, "node_modules/husky/bin.js")], { cwd: repo.dir, env: devEnv() });
    expect(repo.git("config", "core.hooksPath").trim()).toBe(".husky/_");
    const marker = join(repo.dir, ".git", "husky-user-ran");
    mkdirSync(join(repo.dir, ".husky"), { recursive: true });
    writeFileSync(join(repo.dir, ".husky/post-commit"), `echo ran >> '${marker}'\n`);
    const r = install(repo, "--post-commit");
    expect(r.stdout).toMatch(/husky/);
    const hook = readFileSync(join(repo.dir, ".husky/post-commit"), "utf8");
    expect(hook.startsWith(`echo ran >> '${marker}'\n`)).toBe(true);
    expect(hook).not.toContain(process.execPath); // committed files must not name this machine's node
    // Every clone runs the committed fallbacks; this one also has husky's runner for reference-transaction.
    for (const h of ["post-merge", "post-rewrite", "post-checkout", "reference-transaction"]) {
      expect(readFileSync(join(repo.dir, ".husky", h), "utf8")).not.toContain(process.execPath);
    }
    expect(readFileSync(join(repo.dir, ".husky/_/reference-transaction"), "utf8")).toContain('. "$(dirname "$0")/h"');
    repo.write({ "f.txt": "f\n" });
    repo.git("add", "-A");
    expect(gitRun(repo, ["commit", "-q", "-m", "f"]).code).toBe(0);
    const head = repo.git("rev-parse", "HEAD").trim();
    expect(readFileSync(marker, "utf8")).toBe("ran\n");
    await waitFor("HEAD to be live", async () => ((await liveCommit(prefix, name)) === head ? true : undefined));
    await settled(repo);
    // reference-transaction published it; the post-commit fallback stood down.
    expect(logOf(repo)).toMatch(/reference-transaction: published main/);
    expect(logOf(repo)).not.toMatch(/post-commit:/);
    // A clone without the runner (husky's _/ is not committed) publishes through the fallbacks.
    rmSync(join(repo.dir, ".husky/_/reference-transaction"));
    repo.write({ "g.txt": "g\n" });
    repo.git("add", "-A");
    expect(gitRun(repo, ["commit", "-q", "-m", "g"]).code).toBe(0);
    const next = repo.git("rev-parse", "HEAD").trim();
    await waitFor("the next commit to be live", async () =>
      (await liveCommit(prefix, name)) === next ? true : undefined,
    );
    // The pointer moves before the publisher writes its log line.
    await settled(repo);
    expect(logOf(repo)).toMatch(/post-commit: published main/);
  });

  it("a 30-commit cherry-pick publishes the final HEAD, not every commit, one publisher at a time", async () => {
    const { repo, prefix, name } = newRepo();
    repo.git("checkout", "-q", "-b", "side");
    for (let i = 0; i < 30; i++) {
      repo.write({ [`burst/${i}.txt`]: `${i}\n` });
      repo.commit(`burst ${i}`);
    }
    repo.git("checkout", "-q", "main");
    install(repo, "--post-commit");
    // git itself makes the burst: one post-commit hook run per picked commit
    expect(gitRun(repo, ["cherry-pick", "main..side"]).code).toBe(0);
    expect(Number(repo.git("rev-list", "--count", "HEAD").trim())).toBe(31);
    const head = repo.git("rev-parse", "HEAD").trim();
    await waitFor("HEAD to be live", async () => ((await liveCommit(prefix, name)) === head ? true : undefined));
    await settled(repo);
    const log = logOf(repo);
    const published = log.split("\n").filter((l) => l.includes("reference-transaction: published"));
    // the publisher waits while git's sequencer runs, then publishes once
    expect(published, log).toHaveLength(1);
    expect(published.at(-1)).toContain(head.slice(0, 12));
    // publishing intervals (start..end per pid) never overlap
    const spans = log
      .split("\n")
      .map((l) => /^(\S+) \[(\d+)\] reference-transaction: (publishing|published)/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ t: Date.parse(m[1]!), pid: m[2]!, kind: m[3]! }));
    let open: string | undefined;
    for (const s of spans) {
      if (s.kind === "publishing") {
        expect(open).toBeUndefined();
        open = s.pid;
      } else {
        expect(open).toBe(s.pid);
        open = undefined;
      }
    }
  });

  it("WSPUB_SKIP=1 and HUSKY=0 opt out", async () => {
    const { repo, prefix, name } = newRepo();
    install(repo, "--post-commit");
    for (const optOut of [{ WSPUB_SKIP: "1" }, { HUSKY: "0" }]) {
      repo.write({ [`opt-${Object.keys(optOut)[0]}.txt`]: "x\n" });
      repo.git("add", "-A");
      expect(gitRun(repo, ["commit", "-q", "-m", "opt out"], devEnv(optOut)).code).toBe(0);
    }
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await liveCommit(prefix, name)).toBeUndefined();
    expect(existsSync(join(repo.dir, ".git", "wspub", "hook.log"))).toBe(false);
  });

  it("publishes only configured branches; an amend on the branch replaces its own live commit", async () => {
    const { repo, prefix, name } = newRepo({ branches: ["main"] });
    install(repo, "--post-commit");
    repo.write({ "g.txt": "g\n" });
    repo.git("add", "-A");
    gitRun(repo, ["commit", "-q", "-m", "g"]);
    const g = repo.git("rev-parse", "HEAD").trim();
    await waitFor("g to be live", async () => ((await liveCommit(prefix, name)) === g ? true : undefined));
    await settled(repo);

    repo.write({ "g.txt": "g amended\n" });
    repo.git("add", "-A");
    gitRun(repo, ["commit", "-q", "--amend", "-m", "g amended"]);
    const amended = repo.git("rev-parse", "HEAD").trim();
    await waitFor("the amended commit to be live", async () =>
      (await liveCommit(prefix, name)) === amended ? true : undefined,
    );
    await settled(repo);

    repo.git("checkout", "-q", "-b", "feature");
    repo.write({ "h.txt": "h\n" });
    repo.git("add", "-A");
    gitRun(repo, ["commit", "-q", "-m", "on a feature branch"]);
    await waitFor("the feature commit to be skipped", () =>
      logOf(repo).includes("reference-transaction: no configured branch moved; nothing to publish") ? true : undefined,
    );
    expect(await liveCommit(prefix, name)).toBe(amended);
  });

  it("a commit on a previews.branches branch is published to its preview; the workspace stays as it was", async () => {
    const { repo, prefix, name } = newRepo({ branches: ["main"], previews: { branches: ["feature/*"] } });
    install(repo);
    repo.write({ "m.txt": "m\n" });
    repo.git("add", "-A");
    gitRun(repo, ["commit", "-q", "-m", "m"]);
    const main = repo.git("rev-parse", "HEAD").trim();
    await waitFor("main to be live", async () => ((await liveCommit(prefix, name)) === main ? true : undefined));
    await settled(repo);

    // (As the developer does, with credentials: creating the branch moves it, and publishes its preview.)
    gitRun(repo, ["checkout", "-q", "-b", "feature/login"]);
    repo.write({ "login.txt": "login\n" });
    repo.git("add", "-A");
    gitRun(repo, ["commit", "-q", "-m", "login"]);
    const login = repo.git("rev-parse", "HEAD").trim();
    const preview = `${name}--feature-login`;
    await waitFor("the preview to be live", async () =>
      (await liveCommit(prefix, preview)) === login ? true : undefined,
    );
    await settled(repo);
    expect(logOf(repo)).toContain(`publishing feature/login ${login.slice(0, 12)} to its preview`);
    expect(await liveCommit(prefix, name)).toBe(main);
    const ls = runCli(cli.bin, ["ls"], { cwd: repo.dir, env: devEnv() as Record<string, string> });
    expect(ls.stdout).toMatch(new RegExp(`${preview} .*\\(preview of ${name}, branch feature/login\\)`));
  });

  it("a failed background publish is reported on the next commit and by wspub status", async () => {
    const { repo } = newRepo();
    repo.write({ "wspub.config.json": JSON.stringify({ target: "s3://no-such-bucket-here", endpoint: s3.endpoint }) });
    repo.commit("point at a missing bucket");
    install(repo, "--post-commit");
    repo.write({ "i.txt": "i\n" });
    repo.git("add", "-A");
    gitRun(repo, ["commit", "-q", "-m", "i"]);
    await waitFor(
      "the failure to be recorded",
      () => existsSync(join(repo.dir, ".git", "wspub", "last-error")) || undefined,
    );
    await settled(repo);
    const status = runCli(cli.bin, ["status"], { cwd: repo.dir, env: devEnv() as Record<string, string> });
    expect(status.stdout).toMatch(/last background publish FAILED .*bucket "no-such-bucket-here" does not exist/);
    // Retrying cannot create a bucket: it is not retried.
    expect(logOf(repo)).not.toMatch(/retrying/);
    repo.write({ "j.txt": "j\n" });
    repo.git("add", "-A");
    const next = gitRun(repo, ["commit", "-q", "-m", "j"]);
    expect(next.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^wspub: the last background publish failed: bucket "no-such-bucket-here" does not exist/),
    ]);
    await settled(repo);
  });

  it("a commit holding a credential is refused by the hook, reported by rule and line (never the value), not retried", async () => {
    const { repo, prefix, name } = newRepo();
    install(repo, "--post-commit");
    repo.write({ "ok.txt": "ok\n" });
    repo.git("add", "-A");
    gitRun(repo, ["commit", "-q", "-m", "ok"]);
    const ok = repo.git("rev-parse", "HEAD").trim();
    await waitFor("ok to be live", async () => ((await liveCommit(prefix, name)) === ok ? true : undefined));
    await settled(repo);
    repo.write({ "src/github.ts": committedCredentials["src/github.ts"]!.content });
    repo.git("add", "-A");
    gitRun(repo, ["commit", "-q", "-m", "token"]);
    const lastError = join(repo.dir, ".git", "wspub", "last-error");
    await waitFor("the refusal to be recorded", () => existsSync(lastError) || undefined);
    await settled(repo);
    expect(readFileSync(lastError, "utf8")).toMatch(/refused: .* 1 file\(s\) hold what looks like a credential/);
    expect(readFileSync(lastError, "utf8")).toContain("src/github.ts:3: github/GITHUB_TOKEN");
    const status = runCli(cli.bin, ["status"], { cwd: repo.dir, env: devEnv() as Record<string, string> });
    expect(status.stdout).toMatch(/last background publish FAILED .*refused: /);
    expect(logOf(repo)).not.toMatch(/retrying/);
    for (const said of [logOf(repo), readFileSync(lastError, "utf8"), status.stdout, status.stderr]) {
      expect(said).not.toContain(fake.githubToken);
    }
    expect(await liveCommit(prefix, name)).toBe(ok);
    // Taking it out publishes again.
    repo.remove("src/github.ts");
    repo.git("add", "-A");
    gitRun(repo, ["commit", "-q", "-m", "token removed"]);
    const fixed = repo.git("rev-parse", "HEAD").trim();
    await waitFor("the fix to be live", async () => ((await liveCommit(prefix, name)) === fixed ? true : undefined));
    await settled(repo);
  });

  it("pre-push publishes the pushed commit of a configured branch, and nothing for other branches", async () => {
    const { repo, prefix, name } = newRepo();
    const remote = mkdtempSync(join(tmpdir(), "wspub-remote-"));
    scratch.push(remote);
    execFileSync("git", ["init", "-q", "--bare", remote]);
    repo.git("remote", "add", "origin", remote);
    install(repo, "--pre-push");
    repo.write({ "k.txt": "k\n" });
    const pushed = repo.commit("k");
    expect(await liveCommit(prefix, name)).toBeUndefined(); // no post-commit hook installed
    expect(gitRun(repo, ["push", "-q", "origin", "main"]).code).toBe(0);
    await waitFor("the pushed commit to be live", async () =>
      (await liveCommit(prefix, name)) === pushed ? true : undefined,
    );
    await settled(repo);

    repo.git("checkout", "-q", "-b", "topic");
    repo.write({ "l.txt": "l\n" });
    repo.commit("l");
    expect(gitRun(repo, ["push", "-q", "origin", "topic"]).code).toBe(0);
    await waitFor("the topic push to be logged", () =>
      logOf(repo).includes("pre-push: no configured branch in this push") ? true : undefined,
    );
    expect(await liveCommit(prefix, name)).toBe(pushed);
  });
});
