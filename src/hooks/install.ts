import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { GitRepository } from "../git/port.js";
import { type HooksLocation, locateHooks } from "./locate.js";
import {
  CHAINED_SUFFIX,
  FALLBACK_HOOKS,
  HOOK_NAMES,
  HUSKY_STUB,
  type HookName,
  hasBlock,
  hookBlock,
  isEffectivelyEmpty,
  type Launcher,
  plainScript,
  removeBlock,
} from "./script.js";

/** `moves`: publish when a local branch moves (`--post-commit`); `push`: the pre-push hook (`--pre-push`). */
export type HookGroup = "moves" | "push";

export type HookChange =
  | "installed"
  | "updated"
  | "unchanged"
  | "chained"
  | "removed"
  | "replaced by reference-transaction"
  | "restored"
  | "absent";

export interface HookReport {
  hook: HookName;
  file: string;
  change: HookChange;
}

export interface HooksReport {
  location: HooksLocation;
  hooks: HookReport[];
}

/** git >= 2.28 runs the reference-transaction hook. */
export const supportsReferenceTransaction = ([major, minor]: readonly [number, number]) =>
  major > 2 || (major === 2 && minor >= 28);

/**
 * The hooks a group installs here. A plain hooks directory (or core.hooksPath) with git >= 2.28
 * needs only reference-transaction. husky runs no reference-transaction in a fresh clone (its
 * `_/` directory has no stub for it until `wspub hooks install` writes one), so its committed
 * files carry the fallbacks as well; they stand down where the stub exists.
 */
export function hooksOf(groups: readonly HookGroup[], location: HooksLocation, rt: boolean): HookName[] {
  const out: HookName[] = [];
  if (groups.includes("moves")) {
    if (location.kind === "husky") out.push(...FALLBACK_HOOKS, ...(rt ? (["reference-transaction"] as const) : []));
    else out.push(...(rt ? (["reference-transaction"] as const) : FALLBACK_HOOKS));
  }
  if (groups.includes("push")) out.push("pre-push");
  return out;
}

/** The hook names a group may have installed in any version of wspub (for upgrades and uninstall). */
const namesOf = (groups: readonly HookGroup[]): HookName[] =>
  HOOK_NAMES.filter((h) => (h === "pre-push" ? groups.includes("push") : groups.includes("moves")));

/**
 * Installs the hooks of `groups`, and takes out wspub's blocks from hooks of those groups that are
 * no longer needed (an installation from before reference-transaction: post-commit). Idempotent. A
 * hook the user already has is never overwritten: in a plain hooks directory it is kept as
 * `<hook>.pre-wspub` and run first; in husky's directory wspub's block is appended to the user's
 * command list.
 */
export async function installHooks(
  git: GitRepository,
  groups: readonly HookGroup[],
  launcher: Launcher,
): Promise<HooksReport> {
  const location = await locateHooks(git);
  const wanted = hooksOf(groups, location, supportsReferenceTransaction(await git.version()));
  await mkdir(location.dir, { recursive: true });
  const reports: HookReport[] = [];
  for (const hook of wanted) reports.push(await installOne(location, hook, launcher));
  if (location.kind === "husky" && wanted.includes("reference-transaction")) await writeHuskyStub(location);
  for (const hook of namesOf(groups).filter((h) => !wanted.includes(h))) {
    const r = await removeOne(location, hook);
    if (r.change !== "absent") reports.push({ ...r, change: "replaced by reference-transaction" });
  }
  return { location, hooks: reports };
}

async function installOne(location: HooksLocation, hook: HookName, launcher: Launcher): Promise<HookReport> {
  const file = join(location.dir, hook);
  const current = await readOptional(file);
  let next: string;
  let change: HookChange;
  if (location.kind === "husky") {
    const block = hookBlock(hook, launcher, { husky: true });
    const base = current === undefined ? "" : hasBlock(current, hook) ? removeBlock(current, hook) : current;
    next = base === "" ? `${block}\n` : `${base.replace(/\n*$/, "\n")}${block}\n`;
    change = current === undefined ? "installed" : hasBlock(current, hook) ? "updated" : "chained";
  } else if (current === undefined || hasBlock(current, hook)) {
    next = plainScript(hook, launcher, await exists(`${file}${CHAINED_SUFFIX}`));
    change = current === undefined ? "installed" : "updated";
  } else {
    await rename(file, `${file}${CHAINED_SUFFIX}`);
    next = plainScript(hook, launcher, true);
    change = "chained";
  }
  if (next === current) change = "unchanged";
  else await writeFile(file, next);
  await chmod(file, 0o755);
  return { hook, file, change };
}

/** Husky's runner for reference-transaction, in its (git-ignored) `_/` directory. */
async function writeHuskyStub(location: HooksLocation): Promise<void> {
  const stub = join(location.dir, "_", "reference-transaction");
  await mkdir(join(location.dir, "_"), { recursive: true });
  if ((await readOptional(stub)) !== HUSKY_STUB) await writeFile(stub, HUSKY_STUB);
  await chmod(stub, 0o755);
}

/** Removes wspub's hooks of `groups` (whichever version installed them) and puts back what the user had. */
export async function uninstallHooks(git: GitRepository, groups: readonly HookGroup[]): Promise<HooksReport> {
  const location = await locateHooks(git);
  const reports: HookReport[] = [];
  for (const hook of namesOf(groups)) {
    const r = await removeOne(location, hook);
    if (r.change !== "absent" || hook === "reference-transaction" || hook === "pre-push") reports.push(r);
  }
  if (location.kind === "husky" && groups.includes("moves")) {
    const stub = join(location.dir, "_", "reference-transaction");
    if ((await readOptional(stub)) === HUSKY_STUB) await rm(stub);
  }
  return { location, hooks: reports };
}

async function removeOne(location: HooksLocation, hook: HookName): Promise<HookReport> {
  const file = join(location.dir, hook);
  const current = await readOptional(file);
  if (current === undefined || !hasBlock(current, hook)) return { hook, file, change: "absent" };
  const rest = removeBlock(current, hook);
  const chained = `${file}${CHAINED_SUFFIX}`;
  if (location.kind !== "husky" && (await exists(chained))) {
    await rename(chained, file);
    return { hook, file, change: "restored" };
  }
  if (isEffectivelyEmpty(rest)) await rm(file);
  else await writeFile(file, rest);
  return { hook, file, change: "removed" };
}

export interface HookStatus {
  hook: HookName;
  file: string;
  installed: boolean;
  chained: boolean;
}

/**
 * Which of wspub's hooks are installed, and whether the installation is the one `wspub hooks
 * install` would make now (false for an older one: run it again to upgrade).
 */
export async function hooksStatus(
  git: GitRepository,
): Promise<{ location: HooksLocation; hooks: HookStatus[]; current: boolean }> {
  const location = await locateHooks(git);
  const out: HookStatus[] = [];
  for (const hook of HOOK_NAMES) {
    const file = join(location.dir, hook);
    const text = await readOptional(file);
    const installed = text !== undefined && hasBlock(text, hook);
    const chained =
      location.kind === "husky"
        ? installed && !isEffectivelyEmpty(removeBlock(text!, hook))
        : await exists(`${file}${CHAINED_SUFFIX}`);
    out.push({ hook, file, installed, chained });
  }
  const wanted = hooksOf(["moves", "push"], location, supportsReferenceTransaction(await git.version()));
  const present = out.filter((h) => h.installed).map((h) => h.hook);
  // Nothing left from an older installation, and the branch-move hooks, if any, all there.
  const moves = wanted.filter((h) => h !== "pre-push");
  const anyMoves = present.some((h) => h !== "pre-push");
  const current = present.every((h) => wanted.includes(h)) && (!anyMoves || moves.every((h) => present.includes(h)));
  return { location, hooks: out, current };
}

async function readOptional(path: string): Promise<string | undefined> {
  return readFile(path, "utf8").catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return undefined;
    throw e;
  });
}

const exists = async (path: string) => (await stat(path).catch(() => undefined)) !== undefined;
