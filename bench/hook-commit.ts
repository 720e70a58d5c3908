// `npm run bench:hook`: how long git takes with and without wspub's hooks (reference-transaction,
// which runs on every ref update). Two repositories side by side, commands interleaved (A without,
// B with the hooks), medians and percentiles of wall time from spawn to exit, for: a commit on the
// configured branch (the hook starts a background publish), a commit on another branch, and a
// remote-tracking ref update as `git fetch` makes (the hook must return at once). The background
// publish goes to a local directory store: the hook never waits for it, which is what is measured.
// stdio is ignored, as on a terminal (a pipe is covered by test/e2e/hooks.test.ts).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { median, percentile } from "./stats.ts";

const runs = Number(process.argv.find((a) => a.startsWith("--runs="))?.slice(7) ?? 30);
const root = resolve(import.meta.dirname, "..");
const scratch = mkdtempSync(join(tmpdir(), "wspub-bench-hook-"));
const env = {
  ...process.env,
  GIT_AUTHOR_NAME: "B",
  GIT_AUTHOR_EMAIL: "b@x",
  GIT_COMMITTER_NAME: "B",
  GIT_COMMITTER_EMAIL: "b@x",
};

function repo(name: string): string {
  const dir = join(scratch, name);
  mkdirSync(dir);
  const git = (...args: string[]) => spawnSync("git", args, { cwd: dir, env, stdio: "ignore" });
  git("init", "-q", "-b", "main");
  git("config", "gc.auto", "0");
  writeFileSync(join(dir, "wspub.config.json"), JSON.stringify({ target: join(scratch, `store-${name}`) }));
  for (let i = 0; i < 200; i++) writeFileSync(join(dir, `f${i}.txt`), `${i}\n`);
  git("add", "-A");
  git("commit", "-q", "-m", "init");
  return dir;
}

/** Wall time of one git command, in ms. */
function timed(dir: string, args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync("git", args, { cwd: dir, env, stdio: "ignore" });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`git ${args.join(" ")} failed`);
  return ms;
}

function commit(dir: string, i: number, tag = "main"): number {
  writeFileSync(join(dir, `f${i % 200}.txt`), `${i} changed on ${tag}\n`);
  spawnSync("git", ["add", "-A"], { cwd: dir, env, stdio: "ignore" });
  return timed(dir, ["commit", "-q", "-m", `c${i}`]);
}

/** A commit on a branch that is not configured: the hook starts a publisher that finds nothing to do. */
function featureCommit(dir: string, i: number): number {
  spawnSync("git", ["checkout", "-q", "-B", "feature"], { cwd: dir, env, stdio: "ignore" });
  const ms = commit(dir, i, "feature");
  spawnSync("git", ["checkout", "-q", "main"], { cwd: dir, env, stdio: "ignore" });
  return ms;
}

/** What `git fetch` does to the refs: remote-tracking refs move. */
function fetchLike(dir: string, i: number): number {
  const head = spawnSync("git", ["rev-parse", `HEAD~${i % 2}`], { cwd: dir, env, encoding: "utf8" }).stdout.trim();
  return timed(dir, ["update-ref", "refs/remotes/origin/main", head]);
}

try {
  const plain = repo("plain");
  const hooked = repo("hooked");
  const install = spawnSync(process.execPath, [join(root, "bin/wspub.js"), "hooks", "install", "--post-commit"], {
    cwd: hooked,
    env,
    encoding: "utf8",
  });
  if (install.status !== 0) throw new Error(install.stderr);
  const cases = [
    { name: "git commit on main (publishes)", run: (dir: string, i: number) => commit(dir, i) },
    { name: "git commit on another branch", run: featureCommit },
    { name: "remote-tracking ref update (git fetch)", run: fetchLike },
  ];
  const row = (name: string, xs: number[]) =>
    `| ${name} | ${xs.length} | ${median(xs).toFixed(1)} | ${percentile(xs, 0.9).toFixed(1)} | ${Math.min(...xs).toFixed(1)} | ${Math.max(...xs).toFixed(1)} |`;
  console.log(
    `git wall time, ms (${runs} runs each, interleaved; node ${process.version}; ${install.stdout.split("\n")[1]?.trim()})\n`,
  );
  console.log("| command | hooks | runs | median | p90 | min | max |\n|:--|:--|--:|--:|--:|--:|--:|");
  for (const c of cases) {
    const without: number[] = [];
    const withHook: number[] = [];
    for (let i = 1; i <= runs; i++) {
      without.push(c.run(plain, i));
      withHook.push(c.run(hooked, i));
    }
    console.log(row(`${c.name} | none`, without));
    console.log(row(`${c.name} | wspub`, withHook));
    console.log(
      `| ${c.name}: hook overhead (difference of medians) | | | ${(median(withHook) - median(without)).toFixed(1)} | | | |`,
    );
  }
  // let the background publishers finish before the scratch directory goes
  spawnSync("sh", ["-c", `while [ -e '${join(hooked, ".git/wspub/lock")}' ]; do sleep 0.2; done`], { timeout: 60_000 });
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
