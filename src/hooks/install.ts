import { chmod, readFile, rename, rm, stat, writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { GitRepository } from "../git/port.js";
import { locateHooks, type HooksLocation } from "./locate.js";
import {
  CHAINED_SUFFIX,
  hasBlock,
  hookBlock,
  isEffectivelyEmpty,
  plainScript,
  removeBlock,
  type HookName,
  type Launcher,
} from "./script.js";

export type HookChange = "installed" | "updated" | "unchanged" | "chained" | "removed" | "restored" | "absent";

export interface HookReport {
  hook: HookName;
  file: string;
  change: HookChange;
}

export interface HooksReport {
  location: HooksLocation;
  hooks: HookReport[];
}

async function readOptional(path: string): Promise<string | undefined> {
  return readFile(path, "utf8").catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return undefined;
    throw e;
  });
}

const exists = async (path: string) => (await stat(path).catch(() => undefined)) !== undefined;

/**
 * Installs the hooks. Idempotent: installing twice changes nothing. A hook the user already has is
 * never overwritten: in a plain hooks directory it is kept as `<hook>.pre-wspub` and run first; in
 * husky's directory wspub's block is appended to the user's command list.
 */
export async function installHooks(
  git: GitRepository,
  hooks: readonly HookName[],
  launcher: Launcher,
): Promise<HooksReport> {
  const location = await locateHooks(git);
  await mkdir(location.dir, { recursive: true });
  const reports: HookReport[] = [];
  for (const hook of hooks) {
    const file = join(location.dir, hook);
    const current = await readOptional(file);
    let next: string;
    let change: HookChange;
    if (location.kind === "husky") {
      const block = hookBlock(hook, launcher);
      const base = current === undefined ? "" : hasBlock(current, hook) ? removeBlock(current, hook) : current;
      next = base === "" ? `${block}\n` : `${base.replace(/\n*$/, "\n")}${block}\n`;
      change = current === undefined ? "installed" : hasBlock(current, hook) ? "updated" : "chained";
    } else if (current === undefined) {
      next = plainScript(hook, launcher, await exists(`${file}${CHAINED_SUFFIX}`));
      change = "installed";
    } else if (hasBlock(current, hook)) {
      next = plainScript(hook, launcher, await exists(`${file}${CHAINED_SUFFIX}`));
      change = "updated";
    } else {
      await rename(file, `${file}${CHAINED_SUFFIX}`);
      next = plainScript(hook, launcher, true);
      change = "chained";
    }
    if (next === current) change = "unchanged";
    else await writeFile(file, next);
    await chmod(file, 0o755);
    reports.push({ hook, file, change });
  }
  return { location, hooks: reports };
}

/** Removes wspub's hooks and puts back what the user had. */
export async function uninstallHooks(git: GitRepository, hooks: readonly HookName[]): Promise<HooksReport> {
  const location = await locateHooks(git);
  const reports: HookReport[] = [];
  for (const hook of hooks) {
    const file = join(location.dir, hook);
    const current = await readOptional(file);
    if (current === undefined || !hasBlock(current, hook)) {
      reports.push({ hook, file, change: "absent" });
      continue;
    }
    const rest = removeBlock(current, hook);
    const chained = `${file}${CHAINED_SUFFIX}`;
    if (location.kind !== "husky" && (await exists(chained))) {
      await rename(chained, file);
      reports.push({ hook, file, change: "restored" });
    } else if (isEffectivelyEmpty(rest)) {
      await rm(file);
      reports.push({ hook, file, change: "removed" });
    } else {
      await writeFile(file, rest);
      reports.push({ hook, file, change: "removed" });
    }
  }
  return { location, hooks: reports };
}

export interface HookStatus {
  hook: HookName;
  file: string;
  installed: boolean;
  chained: boolean;
}

export async function hooksStatus(
  git: GitRepository,
  hooks: readonly HookName[],
): Promise<{ location: HooksLocation; hooks: HookStatus[] }> {
  const location = await locateHooks(git);
  const out: HookStatus[] = [];
  for (const hook of hooks) {
    const file = join(location.dir, hook);
    const text = await readOptional(file);
    const installed = text !== undefined && hasBlock(text, hook);
    const chained =
      location.kind === "husky"
        ? installed && isEffectivelyEmpty(removeBlock(text!, hook)) === false
        : await exists(`${file}${CHAINED_SUFFIX}`);
    out.push({ hook, file, installed, chained });
  }
  return { location, hooks: out };
}
