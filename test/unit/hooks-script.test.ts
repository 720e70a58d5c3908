import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { branchMatches } from "../../src/hooks/branches.js";
import {
  hasBlock,
  hookBlock,
  isEffectivelyEmpty,
  plainScript,
  removeBlock,
  shQuote,
  type HookName,
} from "../../src/hooks/script.js";

const launcher = { node: "/opt/node 24/bin/node", script: "/home/o'neil/wspub/lib/cli/run.js" };
const hooks: HookName[] = ["post-commit", "pre-push"];

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
