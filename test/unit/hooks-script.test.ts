import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { branchMatches } from "../../src/hooks/branches.js";
import {
  HOOK_NAMES,
  hasBlock,
  hookBlock,
  isEffectivelyEmpty,
  plainScript,
  removeBlock,
  shQuote,
  type HookName,
} from "../../src/hooks/script.js";

const launcher = { node: "/opt/node 24/bin/node", script: "/home/o'neil/wspub/lib/cli/run.js" };
const hooks: readonly HookName[] = HOOK_NAMES;

describe("hook scripts", () => {
  it.each(hooks)("%s: plain and chained scripts are valid sh (sh -n)", (hook) => {
    for (const chained of [false, true]) {
      const r = spawnSync("sh", ["-n"], { input: plainScript(hook, launcher, chained), encoding: "utf8" });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
    }
  });

  it("quotes paths with spaces and quotes for sh", () => {
    const r = spawnSync("sh", ["-c", `printf '%s' ${shQuote('it\'s a "path" $HOME')}`], { encoding: "utf8" });
    expect(r.stdout).toBe(`it's a "path" $HOME`);
  });

  it.each(hooks)("%s: block round-trips: remove(install(x)) gives x back", (hook) => {
    const user = "npm test\necho done\n";
    const installed = `${user}${hookBlock(hook, {})}\n`;
    expect(hasBlock(installed, hook)).toBe(true);
    expect(removeBlock(installed, hook)).toBe(user);
    expect(hasBlock(user, hook)).toBe(false);
  });

  it("a husky block names no machine path; a plain one pins the node it was installed with, with a PATH fallback", () => {
    expect(hookBlock("post-commit", {})).not.toContain("/opt/node");
    const pinned = hookBlock("post-commit", launcher);
    expect(pinned).toContain(shQuote(launcher.node));
    expect(pinned).toContain('else wspub "$@"; fi');
  });

  it("says so, at once, when neither the pinned wspub nor one on PATH exists", () => {
    const dir = spawnSync("mktemp", ["-d"], { encoding: "utf8" }).stdout.trim();
    spawnSync("git", ["init", "-q", dir]);
    const gone = { node: "/nonexistent/node", script: "/nonexistent/wspub.js" };
    const script = `${hookBlock("post-commit", gone)}\n`;
    const r = spawnSync("sh", ["-e", "-c", script], { cwd: dir, encoding: "utf8", env: { PATH: "/usr/bin:/bin" } });
    spawnSync("rm", ["-rf", dir]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(
      "wspub: not found (the installation that wrote this hook moved, and no wspub is on PATH)",
    );
  });

  it("the chained pre-push passes the hook's standard input to the user's hook and keeps it for wspub", () => {
    const script = plainScript("pre-push", launcher, true);
    expect(script).toContain("wspub_updates=$(cat)");
    expect(script).toContain('"$0.pre-wspub" "$@" || exit $?');
    // the block does not read stdin again when the chain already did
    expect(script).toContain('[ -n "${wspub_updates+x}" ] || wspub_updates=$(cat)');
  });

  it("the block runs quickly under sh -e and does nothing with WSPUB_SKIP=1 (no state directory written)", () => {
    const dir = spawnSync("mktemp", ["-d"], { encoding: "utf8" }).stdout.trim();
    spawnSync("git", ["init", "-q", dir]);
    const r = spawnSync("sh", ["-e", "-c", hookBlock("post-commit", {})], {
      cwd: dir,
      env: { ...process.env, WSPUB_SKIP: "1" },
      encoding: "utf8",
    });
    expect(r.status).toBe(0);
    expect(spawnSync("test", ["-e", `${dir}/.git/wspub`]).status).not.toBe(0);
    spawnSync("rm", ["-rf", dir]);
  });

  it("isEffectivelyEmpty", () => {
    expect(isEffectivelyEmpty("#!/bin/sh\n\n")).toBe(true);
    expect(isEffectivelyEmpty("#!/bin/sh\nnpm test\n")).toBe(false);
  });
});

describe("what each hook block starts (a stand-in for wspub records its arguments)", () => {
  const scratch = mkdtempSync(join(tmpdir(), "wspub-hook-block-"));
  const repo = join(scratch, "repo");
  spawnSync("git", ["init", "-q", repo]);
  const calls = join(scratch, "calls");
  const fake = join(scratch, "fake-wspub.sh");
  // Written aside, then renamed: a reader never sees half of it.
  writeFileSync(fake, `{ printf '%s|' "$@"; echo; } > '${calls}.tmp' && mv '${calls}.tmp' '${calls}'\n`);
  const stand = { node: "/bin/sh", script: fake };
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  /** Runs a block as git would (in the repository, with arguments and standard input); returns what it started. */
  async function run(hook: HookName, args: string[], input = "", block = hookBlock(hook, stand)): Promise<string> {
    rmSync(calls, { force: true });
    rmSync(join(repo, ".git", "wspub"), { recursive: true, force: true });
    const r = spawnSync("sh", ["-e", "-c", block, hook, ...args], {
      cwd: repo,
      input,
      encoding: "utf8",
      env: process.env,
    });
    expect(r.status, r.stderr).toBe(0);
    return started();
  }

  /**
   * What the block started in the background. It marks `requested` before it starts anything, and
   * starts always once marked: without the mark nothing comes; with it, wait (up to 10 s) for it.
   */
  async function started(): Promise<string> {
    const requested = join(repo, ".git", "wspub", "requested");
    for (let i = 0; i < 400 && existsSync(requested) && !existsSync(calls); i++) {
      await new Promise((res) => setTimeout(res, 25));
    }
    return existsSync(calls) ? readFileSync(calls, "utf8").trim() : "";
  }
  const A = "a".repeat(40);
  const B = "b".repeat(40);
  const Z = "0".repeat(40);

  it("reference-transaction: only a committed move of a local branch starts the publisher, with just those lines", async () => {
    const lines = `${A} ${B} refs/remotes/origin/main\n${A} ${B} HEAD\n${A} ${B} refs/heads/main\n`;
    expect(await run("reference-transaction", ["committed"], lines)).toMatch(
      new RegExp(`^hooks\\|run\\|reference-transaction\\|--at\\|\\d{10}\\|--updates\\|${A} ${B} refs/heads/main\n\\|$`),
    );
    expect(existsSync(join(repo, ".git", "wspub", "requested"))).toBe(true);
  });

  it.each([
    ["the prepared state", "prepared", `${A} ${B} refs/heads/main\n`],
    ["the aborted state", "aborted", `${A} ${B} refs/heads/main\n`],
    [
      "a fetch (remote-tracking refs only)",
      "committed",
      `${A} ${B} refs/remotes/origin/main\n${Z} ${A} refs/tags/v1\n`,
    ],
    ["a deleted branch", "committed", `${A} ${Z} refs/heads/old\n`],
    ["a ref rewritten to the same commit (pack-refs)", "committed", `${A} ${A} refs/heads/main\n`],
    ["no lines", "committed", ""],
  ])("reference-transaction: %s starts nothing and writes nothing", async (_, state, lines) => {
    expect(await run("reference-transaction", [state], lines)).toBe("");
    expect(existsSync(join(repo, ".git", "wspub"))).toBe(false);
  });

  it("post-checkout: only a branch checkout that moved HEAD", async () => {
    expect(await run("post-checkout", [A, B, "0"])).toBe("");
    expect(await run("post-checkout", [A, A, "1"])).toBe("");
    expect(await run("post-checkout", [A, B, "1"])).toMatch(/^hooks\|run\|post-checkout\|--at\|\d{10}\|$/);
  });

  it("a husky fallback stands down where husky runs reference-transaction (its stub in .husky/_)", async () => {
    const husky = join(repo, ".husky");
    mkdirSync(join(husky, "_"), { recursive: true });
    const file = join(husky, "post-commit");
    writeFileSync(file, hookBlock("post-commit", stand, { husky: true }));
    const runFile = async () => {
      rmSync(calls, { force: true });
      rmSync(join(repo, ".git", "wspub"), { recursive: true, force: true });
      const r = spawnSync("sh", ["-e", ".husky/post-commit"], { cwd: repo, encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      return started();
    };
    expect(await runFile()).toMatch(/^hooks\|run\|post-commit\|--at\|\d{10}\|$/);
    writeFileSync(join(husky, "_", "reference-transaction"), "stub");
    expect(await runFile()).toBe("");
  });
});

describe("branchMatches", () => {
  it.each([
    ["main", ["main"], true],
    ["main", ["master"], false],
    ["x/main", ["main"], false],
    ["release/1.2", ["release/*"], true],
    ["release/1/2", ["release/*"], false],
    ["release/1/2", ["release/**"], true],
    ["feature.x", ["feature?x"], false],
    ["a+b", ["a+b"], true],
    ["prod", ["main", "prod"], true],
  ] as const)("%s against %j -> %s", (name, patterns, expected) => {
    expect(branchMatches(name, patterns)).toBe(expected);
  });
});
