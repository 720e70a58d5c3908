import { link, readFile, rename, rm, writeFile } from "node:fs/promises";
import { appendLog, type HookState } from "./state.js";

/**
 * The publisher lock: a file naming its holder's pid, made whole before it appears (written
 * aside, then hard-linked into place: a link fails if the name exists), so a contender never
 * reads an empty lock and takes it for a stale one. A lock whose holder is gone (killed) is
 * moved aside first (one rename wins) and removed only if what was moved names that holder.
 */
export async function tryLock(state: HookState): Promise<boolean> {
  const mine = `${state.lock}.${process.pid}`;
  await writeFile(mine, `${process.pid}\n`);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await link(mine, state.lock);
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
      const text = await readFile(state.lock, "utf8").catch(() => undefined);
      if (text === undefined) continue; // let go of meanwhile
      const pid = Number(text.trim());
      if (pid > 0 && alive(pid)) return false;
      if (!(await breakStaleLock(state, text))) return false;
      await appendLog(state, `removed a stale lock (pid ${pid || "unknown"} is gone)`);
    }
    return false;
  } finally {
    await rm(mine, { force: true });
  }
}

/** Moves a stale lock (whose text is `stale`) out of the way; false if it was not that one. */
async function breakStaleLock(state: HookState, stale: string): Promise<boolean> {
  const aside = `${state.lock}.stale.${process.pid}`;
  try {
    await rename(state.lock, aside);
  } catch {
    return false; // somebody else moved it first
  }
  const moved = await readFile(aside, "utf8").catch(() => "");
  if (moved !== stale) {
    // A live lock taken after we looked: put it back (unless a new one is there already).
    await link(aside, state.lock).catch(() => undefined);
    await rm(aside, { force: true });
    return false;
  }
  await rm(aside, { force: true });
  return true;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
