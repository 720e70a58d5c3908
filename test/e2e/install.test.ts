// Installing as a user does (README, Quick start): `npm pack`, then `npm install -g` of the tarball
// (into a prefix of its own here). The installed wspub runs (--version, a push), installs hooks that
// run it, and those hooks keep working when the installation moves: they fall back to `wspub` on PATH.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempRepo } from "../harness/repo.js";
import { cleanEnv } from "../harness/seaweed.js";

const ROOT = resolve(import.meta.dirname, "../..");
const scratch: string[] = [];
afterAll(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});
const temp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(d);
  return d;
};

describe("npm pack, npm install -g", () => {
  it("installs a wspub that runs, whose hooks keep working when the installation moves", async () => {
    const npmEnv = {
      ...process.env,
      npm_config_audit: "false",
      npm_config_fund: "false",
      npm_config_update_notifier: "false",
    };
    const packs = temp("wspub-pack-");
    execFileSync("npm", ["pack", "--silent", "--pack-destination", packs], { cwd: ROOT, env: npmEnv, stdio: "ignore" });
    const tarball = join(packs, readdirSync(packs).find((f) => f.endsWith(".tgz"))!);
    const prefix = join(temp("wspub-global-"), "first");
    execFileSync("npm", ["install", "-g", "--prefix", prefix, "--prefer-offline", "--silent", tarball], {
      env: npmEnv,
      stdio: "ignore",
    });
    // The Node the tests run on comes first on PATH (the installed bin's shebang finds `node`).
    const envWith = (bin: string) => ({
      ...cleanEnv(),
      PATH: [dirname(process.execPath), bin, "/usr/bin", "/bin"].join(delimiter),
    });
    const version = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version as string;
    const first = spawnSync(join(prefix, "bin", "wspub"), ["--version"], {
      env: envWith(join(prefix, "bin")),
      encoding: "utf8",
    });
    expect(first.stdout.trim()).toBe(version);

    const repo = tempRepo("wspub-installed-");
    scratch.push(repo.dir);
    const target = temp("wspub-installed-store-");
    repo.write({ "wspub.config.json": JSON.stringify({ target }), "a.txt": "a\n" });
    repo.commit("one");
    const git = (args: string[], bin: string) =>
      spawnSync("git", args, {
        cwd: repo.dir,
        env: {
          ...envWith(bin),
          WSPUB_HOOK_QUIET_MS: "100",
          GIT_AUTHOR_NAME: "a",
          GIT_AUTHOR_EMAIL: "a@b",
          GIT_COMMITTER_NAME: "a",
          GIT_COMMITTER_EMAIL: "a@b",
        },
        encoding: "utf8",
      });
    const installed = spawnSync(join(prefix, "bin", "wspub"), ["hooks", "install"], {
      cwd: repo.dir,
      env: envWith(join(prefix, "bin")),
      encoding: "utf8",
    });
    expect(installed.status, installed.stderr).toBe(0);

    // Move the installation: the hook's recorded path is gone; `wspub` on PATH (the new place) runs.
    const moved = join(dirname(prefix), "moved");
    renameSync(prefix, moved);
    repo.write({ "b.txt": "b\n" });
    git(["add", "-A"], join(moved, "bin"));
    expect(git(["commit", "-q", "-m", "two"], join(moved, "bin")).status).toBe(0);
    const head = repo.git("rev-parse", "HEAD").trim();
    const name = repo.dir.split("/").pop()!;
    const live = () => {
      try {
        return (JSON.parse(readFileSync(join(target, ".wspub", name, "live.json"), "utf8")) as { commit: string })
          .commit;
      } catch {
        return undefined;
      }
    };
    const deadline = Date.now() + 30_000;
    while (live() !== head && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(live()).toBe(head);
  });
});
