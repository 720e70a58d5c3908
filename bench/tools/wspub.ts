// wspub itself: the built CLI (bin/wspub.js -> lib/), run by the Node that runs the benchmark.
// The workspace name is the repository directory's basename (Source.name).

import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import { cleanEnv } from "../server.ts";
import { GIT_ENV } from "../workspace.ts";
import {
  emptyOutcome,
  type Command,
  type Outcome,
  type PublishOptions,
  type PublishTarget,
  type Source,
  type Tool,
} from "./tool.ts";

const REPO_ROOT = resolve(import.meta.dirname, "..", "..");
let BIN = join(REPO_ROOT, "bin", "wspub.js");
const LIB_ENTRY = join(REPO_ROOT, "lib", "cli", "run.js");

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** When lib/ was last built (its newest file), ISO time: the report names it next to the commit. */
export function libBuiltAt(): string {
  return new Date(newestMtime(join(REPO_ROOT, "lib"))).toISOString();
}

/** Throws if lib/ is missing; returns a warning if src/ has changed since the last build. */
export function checkBuilt(): string | null {
  if (!existsSync(LIB_ENTRY)) throw new Error(`${LIB_ENTRY} is missing: run \`npm run build\` first`);
  const src = newestMtime(join(REPO_ROOT, "src"));
  const lib = newestMtime(join(REPO_ROOT, "lib"));
  return src > lib ? "src/ has changed since lib/ was built: the benchmark measures lib/ (run `npm run build`)" : null;
}

/** The CLI entry the benchmark runs (the snapshot's, once snapshotBuild() ran). */
export const wspubBin = () => BIN;

/**
 * Copies bin/, lib/ and package.json into `dir` (node_modules linked) and runs the CLI from there
 * for the rest of the benchmark, so that a rebuild of lib/ during a long run (other work in the
 * same checkout) does not change what is measured halfway.
 */
export function snapshotBuild(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const entry of ["bin", "lib", "package.json"])
    cpSync(join(REPO_ROOT, entry), join(dir, entry), { recursive: true });
  symlinkSync(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  BIN = join(dir, "bin", "wspub.js");
}

function env(options: PublishOptions, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cleanEnv({ ...GIT_ENV, XDG_DATA_HOME: options.scratch, XDG_CONFIG_HOME: options.scratch, ...extra });
}

/**
 * wspub as a publisher: `bin()` is the CLI entry it runs (the snapshot's, or a baseline build's),
 * `root` the checkout whose package.json names its version.
 */
function wspubTool(name: string, bin: () => string, root: string): Tool {
  return {
    name,
    describe:
      "node bin/wspub.js push --target s3://<bucket>/<prefix> --endpoint <url> --concurrency N --json (reads the commit from git)",
    peer: false,
    version() {
      const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
      return { version: `${pkg.version} (node ${process.version})` };
    },
    publish(src: Source, target: PublishTarget, options: PublishOptions): Command {
      const url = `s3://${target.bucket}${target.prefix ? `/${target.prefix}` : ""}`;
      const args = [
        bin(),
        "push",
        "--target",
        url,
        "--endpoint",
        target.endpoint,
        "--json",
        "--concurrency",
        String(options.concurrency),
      ];
      return {
        cmd: process.execPath,
        args,
        cwd: src.repo,
        env: env(options, {
          AWS_ACCESS_KEY_ID: target.server.accessKeyId,
          AWS_SECRET_ACCESS_KEY: target.server.secretAccessKey,
        }),
      };
    },
    startup(options: PublishOptions): Command {
      return { cmd: process.execPath, args: [bin(), "--version"], cwd: REPO_ROOT, env: env(options) };
    },
    parse(stdout: string): Outcome {
      const out = emptyOutcome();
      const text = stdout.trim();
      if (!text.startsWith("{")) return out;
      const r = JSON.parse(text) as Record<string, unknown>;
      const num = (k: string) => (typeof r[k] === "number" ? (r[k] as number) : null);
      return {
        files: num("files"),
        uploaded: num("uploaded"),
        copied: num("copied"),
        deleted: num("deleted"),
        unchanged: num("unchanged"),
        bytesUploaded: num("bytesUploaded"),
        internalMs: num("durationMs"),
      };
    },
  };
}

export const wspub: Tool = wspubTool("wspub", () => BIN, REPO_ROOT);

/**
 * `--baseline DIR`: another build of wspub (a checkout of an earlier commit with `npm ci && npm run
 * build` done in it), run side by side as the publisher "wspub-baseline": what a change costs.
 */
export function wspubBaseline(dir: string): Tool {
  const bin = join(resolve(dir), "bin", "wspub.js");
  if (!existsSync(join(resolve(dir), "lib", "cli", "run.js"))) throw new Error(`${dir} has no lib/: build it first`);
  return { ...wspubTool("wspub-baseline", () => bin, resolve(dir)), peer: true };
}
