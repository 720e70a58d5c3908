import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tryLock } from "../../src/hooks/publisher-lock.js";
import type { HookState } from "../../src/hooks/state.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function state(): HookState {
  const dir = mkdtempSync(join(tmpdir(), "wspub-plock-"));
  dirs.push(dir);
  const at = (name: string) => join(dir, name);
  return {
    dir,
    log: at("hook.log"),
    lock: at("lock"),
    pending: at("pending.json"),
    requested: at("requested"),
    lastResult: at("last-result.json"),
    lastError: at("last-error"),
    lastErrorShown: at("last-error.shown"),
  };
}

/** The pid of a process that has exited. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]).stdout.toString());
}

describe("the hook publisher's lock", () => {
  it("is taken whole (the file names this pid) and refused while its holder lives", async () => {
    const s = state();
    expect(await tryLock(s)).toBe(true);
    expect(readFileSync(s.lock, "utf8")).toBe(`${process.pid}\n`);
    writeFileSync(s.lock, `${process.ppid}\n`); // another live process holds it
    expect(await tryLock(s)).toBe(false);
    expect(readFileSync(s.lock, "utf8")).toBe(`${process.ppid}\n`);
    // nothing of ours left beside it
    expect(readdirSync(s.dir).sort()).toEqual(["lock"]);
  });

  it("a lock whose holder is gone is removed, said in the log, and taken", async () => {
    const s = state();
    const pid = deadPid();
    writeFileSync(s.lock, `${pid}\n`);
    expect(await tryLock(s)).toBe(true);
    expect(readFileSync(s.lock, "utf8")).toBe(`${process.pid}\n`);
    expect(readFileSync(s.log, "utf8")).toContain(`removed a stale lock (pid ${pid} is gone)`);
    expect(readdirSync(s.dir).sort()).toEqual(["hook.log", "lock"]);
  });
});
