// `npm run bench:hook`: how long `git commit` takes with and without wspub's post-commit hook.
// Two repositories side by side, commits interleaved (A without, B with the hook), medians and
// percentiles of wall time from spawn to exit. The hook's background publish goes to a local
// directory store: the hook itself never waits for it, which is what is measured. stdio is
// ignored, as on a terminal (a pipe is covered by test/e2e/hooks.test.ts).
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

function commit(dir: string, i: number): number {
  writeFileSync(join(dir, `f${i % 200}.txt`), `${i} changed\n`);
  spawnSync("git", ["add", "-A"], { cwd: dir, env, stdio: "ignore" });
  const t0 = process.hrtime.bigint();
  const r = spawnSync("git", ["commit", "-q", "-m", `c${i}`], { cwd: dir, env, stdio: "ignore" });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error("git commit failed");
  return ms;
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
  const without: number[] = [];
  const withHook: number[] = [];
  for (let i = 1; i <= runs; i++) {
    without.push(commit(plain, i));
    withHook.push(commit(hooked, i));
  }
  const row = (name: string, xs: number[]) =>
    `| ${name} | ${xs.length} | ${median(xs).toFixed(1)} | ${percentile(xs, 0.9).toFixed(1)} | ${Math.min(...xs).toFixed(1)} | ${Math.max(...xs).toFixed(1)} |`;
  console.log(`git commit wall time, ms (${runs} commits each, interleaved; node ${process.version})\n`);
  console.log("| repository | commits | median | p90 | min | max |\n|:--|--:|--:|--:|--:|--:|");
  console.log(row("no hook", without));
  console.log(row("wspub post-commit hook", withHook));
  console.log(`\nhook overhead (difference of medians): ${(median(withHook) - median(without)).toFixed(1)} ms`);
  // let the background publishers finish before the scratch directory goes
  spawnSync("sh", ["-c", `while [ -e '${join(hooked, ".git/wspub/lock")}' ]; do sleep 0.2; done`], { timeout: 60_000 });
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
