import { readFile } from "node:fs/promises";
import { isAbsolute, join, normalize } from "node:path";
import type { Config } from "./schema.js";
import { configError } from "../errors.js";
import { validateWorkspaceName } from "../store/layout.js";

export interface LoadedConfig {
  config: Config;
  /** The file it came from, for messages; undefined when there is none. */
  file: string | undefined;
  warnings: string[];
}

/**
 * Loads the repository's config: `wspub.config.json`, else the `"wspub"` key of package.json.
 * load -> schema -> rules; every error names the file and the field.
 */
export async function loadConfig(repoRoot: string): Promise<LoadedConfig> {
  const warnings: string[] = [];
  const own = join(repoRoot, "wspub.config.json");
  const pkg = join(repoRoot, "package.json");
  const ownText = await readOptional(own);
  const pkgText = await readOptional(pkg);
  let raw: unknown;
  let file: string | undefined;
  if (ownText !== undefined) {
    file = own;
    raw = parseJson(own, ownText);
    if (pkgText !== undefined && hasWspubKey(pkgText))
      warnings.push(`${pkg}: the "wspub" key is ignored because ${own} exists`);
  } else if (pkgText !== undefined && hasWspubKey(pkgText)) {
    file = `${pkg} ("wspub" key)`;
    raw = (parseJson(pkg, pkgText) as { wspub: unknown }).wspub;
  } else {
    return { config: {}, file: undefined, warnings };
  }
  // zod is loaded only where there is a config to check (~25 ms of start-up otherwise).
  const { configSchema } = await import("./schema.js");
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length > 0 ? issue.path.join(".") : "(top level)";
    throw configError(file, `${field}: ${issue.message}`);
  }
  const config = parsed.data;
  for (const [name, path] of Object.entries(config.workspaces ?? {})) {
    try {
      validateWorkspaceName(name);
    } catch (e) {
      throw configError(file, `workspaces.${name}: ${(e as Error).message}`);
    }
    if (isAbsolute(path) || normalize(path).split(/[\\/]/).includes("..")) {
      throw configError(
        file,
        `workspaces.${name}: ${JSON.stringify(path)} must be a path inside the repository, relative to its root`,
      );
    }
  }
  return { config, file, warnings };
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw configError(path, `cannot read: ${(e as Error).message}`, e);
  }
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw configError(file, `not valid JSON: ${(e as Error).message}`, e);
  }
}

function hasWspubKey(pkgText: string): boolean {
  try {
    const value = JSON.parse(pkgText) as Record<string, unknown>;
    return typeof value === "object" && value !== null && "wspub" in value;
  } catch {
    return false;
  }
}
