// What the benchmarks through a real `rclone mount` share (mount-latency.ts, torn-view.ts): where
// the built CLI is, the checks before they start, and the clean-up of what they started, also on
// SIGINT/SIGTERM.

import { existsSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { fuseUnavailable, type Mount } from "../test/harness/rclone.ts";
import type { TempRepo } from "../test/harness/repo.ts";
import type { S3Server } from "../test/harness/seaweed.ts";

export const REPO_ROOT = resolve(import.meta.dirname, "..");
export const BIN = join(REPO_ROOT, "bin", "wspub.js");

/** Exits 2 with the reason when FUSE (or rclone) is missing, or lib/ is not built. */
export function exitUnlessMountBenchCan(what: string): void {
  const unavailable = fuseUnavailable();
  if (unavailable) {
    console.error(`cannot ${what} here: ${unavailable}`);
    process.exit(2);
  }
  if (!existsSync(join(REPO_ROOT, "lib", "cli", "run.js"))) {
    console.error("lib/ is missing: run `npm run build` first");
    process.exit(2);
  }
}

/** What a mount benchmark started: stopped by `cleanup()`, which SIGINT/SIGTERM also run. */
export class MountBenchParts {
  server: S3Server | undefined;
  /** The repositories, the last one started first in `repo`. */
  readonly repos: TempRepo[] = [];
  readonly mounts: Mount[] = [];
  /** Runs first (e.g. stopping a `wspub watch`). */
  before: (() => Promise<void>) | undefined;

  constructor() {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      process.once(signal, () => {
        void this.cleanup().finally(() => process.exit(130));
      });
    }
  }

  get repo(): TempRepo | undefined {
    return this.repos.at(-1);
  }

  /** The last repository's scratch directory for XDG_DATA_HOME (removed with it). */
  get xdg(): string {
    return `${this.repo!.dir}-xdg`;
  }

  async cleanup(): Promise<void> {
    await this.before?.();
    await Promise.allSettled(this.mounts.map((m) => m.stop()));
    this.mounts.length = 0;
    for (const repo of this.repos.splice(0)) {
      rmSync(`${repo.dir}-xdg`, { recursive: true, force: true });
      repo.cleanup();
    }
    await this.server?.stop();
    this.server = undefined;
  }
}
