// The CLI in-process (cli/program.ts main) against a real repository and a directory target: what a
// new user sees first (issue 17): a dry run names the paths, --json always prints one object,
// commander's errors read like wspub's, and --help says how to use it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { formatList } from "../../src/cli/format.js";
import { main } from "../../src/cli/program.js";
import { openGit } from "../../src/git/cli-git.js";
import { treeSize } from "../../src/workspace/tree-size.js";
import { parseTarget, withConnection } from "../../src/store/target.js";
import { type TempRepo, tempRepo } from "../harness/repo.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function run(argv: string[], cwd = process.cwd(), env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (s: string) => out.push(s), err: (s: string) => err.push(s), isTTY: false };
  const code = await main({ argv, env: { XDG_DATA_HOME: "/nonexistent", ...env }, cwd, io });
  return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

function repoWith(files: number): { repo: TempRepo; target: string } {
  const repo = tempRepo();
  const target = mkdtempSync(join(tmpdir(), "wspub-cli-target-"));
  cleanups.push(
    () => repo.cleanup(),
    () => rmSync(target, { recursive: true, force: true }),
  );
  repo.write(
    Object.fromEntries(Array.from({ length: files }, (_, i) => [`f${String(i).padStart(2, "0")}.txt`, `${i}\n`])),
  );
  repo.commit("one");
  return { repo, target };
}

describe("the CLI, as a new user meets it", () => {
  it("push --dry-run names the paths it would upload, copy and delete (20 of each, then how many more)", async () => {
    const { repo, target } = repoWith(25);
    const r = await run(["push", "--dry-run", "--target", target], repo.dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("25 would be uploaded");
    expect(r.stdout).toContain("\n  upload  f00.txt\n  upload  f01.txt\n");
    expect(r.stdout).toContain("  upload  f19.txt\n  ... and 5 more to upload");
    expect(r.stdout).not.toContain("f20.txt");
    await run(["push", "--target", target], repo.dir);
    repo.git("mv", "f00.txt", "moved.txt");
    repo.remove("f01.txt");
    repo.commit("two", { all: true });
    const two = await run(["push", "--dry-run", "--target", target], repo.dir);
    expect(two.stdout).toMatch(/\n {2}copy {4}moved\.txt\n {2}delete {2}f00\.txt\n {2}delete {2}f01\.txt$/);
  });

  it("--json prints one JSON object on stdout on failure too; the human line stays on stderr", async () => {
    const { repo, target } = repoWith(1);
    const r = await run(["push", "--json", "--ref", "nope", "--target", target], repo.dir);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      error: {
        message:
          'unknown ref "nope": give a commit, branch or tag that exists here (git fetch it first if it is remote)',
        exitCode: 2,
        code: "git",
      },
    });
    expect(r.stderr).toMatch(/^wspub: error: unknown ref "nope"/);
    const bad = await run(["push", "--json", "--bogus"], repo.dir);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout)).toEqual({
      error: { message: "unknown option '--bogus'", exitCode: 2, code: "usage" },
    });
  });

  it("commander's own errors read like wspub's; --help shows examples, exit codes, the environment", async () => {
    const bad = await run(["push", "--bogus"]);
    expect(bad.stderr.split("\n")[0]).toBe("wspub: error: unknown option '--bogus'");
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    for (const part of [
      "Examples:",
      "wspub push --dry-run",
      "Exit codes:",
      "3 refused on purpose",
      "Environment:",
      "WSPUB_TARGET",
    ]) {
      expect(help.stdout).toContain(part);
    }
    const push = await run(["push", "--help"]);
    expect(push.stdout).not.toContain("(default: [])");
    expect(push.stdout.match(/--mount-rc[\s\S]*?--webhook/)?.[0].match(/default/g)).toHaveLength(1);
    const uninstall = await run(["hooks", "uninstall", "--help"]);
    expect(uninstall.stdout).toMatch(/--post-commit +only the hooks that publish local branch moves/);
    expect(uninstall.stdout).toMatch(/--pre-push +only the pre-push hook/);
  });

  it("a push says which changes are not published, and a first publish (and status) what the bucket saves", async () => {
    const { repo, target } = repoWith(2);
    repo.write({ ".gitignore": "node_modules/\n" });
    repo.commit("ignore");
    repo.write({ "node_modules/big/index.js": Buffer.alloc(200_000, 1), "f00.txt": "changed\n", "new.txt": "new\n" });
    const first = await run(["push", "--target", target], repo.dir);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(
      "wspub: 2 uncommitted change(s) in the working tree are not published: wspub publishes commits",
    );
    expect(first.stdout).toMatch(
      / {2}stored: {4}\d+ B of the working tree's 195\.\d KiB on disk \(99\.\d% not stored: node_modules/,
    );
    const again = await run(["push", "--target", target], repo.dir);
    expect(again.stdout).toContain("is already live");
    expect(again.stdout).not.toContain("stored:");
    const status = await run(["status", "--json", "--target", target], repo.dir);
    expect(JSON.parse(status.stdout).workingTree).toMatchObject({ complete: true, files: 5 });
    repo.git("checkout", "--", "f00.txt");
    repo.remove("new.txt");
    expect((await run(["push", "--target", target], repo.dir)).stderr).not.toContain("uncommitted");
  });

  it("status and verify do not announce the local store; ls of an empty prefix names the prefix", async () => {
    const { repo } = repoWith(1);
    const xdg = mkdtempSync(join(tmpdir(), "wspub-cli-xdg-"));
    cleanups.push(() => rmSync(xdg, { recursive: true, force: true }));
    const pushed = await run(["push"], repo.dir, { XDG_DATA_HOME: xdg });
    expect(pushed.stderr).toContain("no target configured: publishing to the local store");
    for (const command of ["status", "verify"]) {
      const r = await run([command], repo.dir, { XDG_DATA_HOME: xdg });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toContain("no target configured");
    }
    const target = withConnection(parseTarget("s3://some-bucket/team/prod", "/"), {
      endpoint: undefined,
      region: undefined,
    });
    expect(formatList([], target)).toBe("no workspaces published at s3://some-bucket/team/prod (AWS S3)");
  });

  it("uncommitted changes count renames once, type changes, and untracked files; the tree walk keeps its budget", async () => {
    const { repo } = repoWith(3);
    repo.git("mv", "f00.txt", "renamed.txt");
    repo.write({ "f01.txt": { link: "f02.txt" }, "untracked.txt": "u\n" });
    const git = await openGit(repo.dir);
    try {
      expect(await git.uncommittedChanges([])).toBe(3);
    } finally {
      await git.close();
    }
    const big = mkdtempSync(join(tmpdir(), "wspub-cli-tree-"));
    cleanups.push(() => rmSync(big, { recursive: true, force: true }));
    for (let i = 0; i < 3000; i++) writeFileSync(join(big, `f${i}`), "x");
    const full = await treeSize(big);
    expect(full).toEqual({ bytes: 3000, files: 3000, complete: true });
    // Past its budget the walk stops within the batch it is in (64 entries), even inside one directory.
    const cut = await treeSize(big, 0);
    expect(cut).toMatchObject({ complete: false, files: 64, bytes: 64 });
  });
});
