import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  indexBytes,
  LARGE_INDEX_BYTES,
  YOUNG_GENERATION_FLAG,
  youngGenerationRestart,
} from "../../bin/young-generation.js";

const root = mkdtempSync(join(tmpdir(), "wspub-young-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A repository directory whose .git/index has `bytes` bytes (sparse). */
function repo(name: string, bytes: number): string {
  const dir = join(root, name);
  mkdirSync(join(dir, ".git"), { recursive: true });
  writeFileSync(join(dir, ".git", "index"), "");
  truncateSync(join(dir, ".git", "index"), bytes);
  return dir;
}

const execve = () => undefined;
const proc = (
  cwd: string,
  over: { argv?: string[]; env?: NodeJS.ProcessEnv; execArgv?: string[]; execve?: unknown } = {},
) => ({
  argv: over.argv ?? ["/usr/bin/node", "/opt/wspub/bin/wspub.js", "push", "--ref", "main"],
  env: over.env ?? {},
  execArgv: over.execArgv ?? [],
  execPath: "/usr/bin/node",
  cwd: () => cwd,
  execve: "execve" in over ? over.execve : execve,
});

describe("a push in a large repository starts again with a smaller young generation", () => {
  const large = repo("large", LARGE_INDEX_BYTES);
  const small = repo("small", LARGE_INDEX_BYTES - 1);

  it("restarts a push whose repository index is large, with the same arguments and environment", () => {
    const env = { A: "1" };
    expect(youngGenerationRestart(proc(large, { env, execArgv: ["--no-warnings"] }))).toEqual([
      "/usr/bin/node",
      ["/usr/bin/node", "--no-warnings", YOUNG_GENERATION_FLAG, "/opt/wspub/bin/wspub.js", "push", "--ref", "main"],
      env,
    ]);
  });

  it("found from a subdirectory, and through a worktree's .git file", () => {
    mkdirSync(join(large, "src", "deep"), { recursive: true });
    expect(youngGenerationRestart(proc(join(large, "src", "deep")))).toBeDefined();
    const worktree = join(root, "worktree");
    mkdirSync(worktree);
    writeFileSync(join(worktree, ".git"), `gitdir: ${join(large, ".git")}\n`);
    expect(indexBytes(worktree)).toBe(LARGE_INDEX_BYTES);
  });

  it("goes on as is: a small index, another command, no repository, flags already given, opted out, no execve", () => {
    expect(youngGenerationRestart(proc(small))).toBeUndefined();
    expect(youngGenerationRestart(proc(large, { argv: ["node", "wspub.js", "status"] }))).toBeUndefined();
    expect(youngGenerationRestart(proc("/"))).toBeUndefined();
    // the restarted process itself
    expect(youngGenerationRestart(proc(large, { execArgv: [YOUNG_GENERATION_FLAG] }))).toBeUndefined();
    expect(youngGenerationRestart(proc(large, { env: { NODE_OPTIONS: "--max-semi-space-size=2" } }))).toBeUndefined();
    expect(youngGenerationRestart(proc(large, { env: { WSPUB_YOUNG_GENERATION: "default" } }))).toBeUndefined();
    expect(youngGenerationRestart(proc(large, { execve: undefined }))).toBeUndefined();
  });
});
