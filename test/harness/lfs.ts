import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TempRepo, tempRepo } from "./repo.js";

/**
 * Real Git LFS for tests: a bare `file://` remote (git-lfs transfers to it by itself, no LFS server)
 * and a source repository that tracks `*.bin` with git-lfs and pushes there; clones of it made with
 * or without the LFS content (`GIT_LFS_SKIP_SMUDGE=1`, as `actions/checkout` does by default).
 */
export interface LfsWorld {
  remote: string;
  source: TempRepo;
  /** Commits everything and pushes branch main (the LFS objects go first, by git-lfs's pre-push hook). */
  commitAndPush(message: string): string;
  /** A clone of the remote; `content: false` leaves the LFS files as pointers and the LFS store empty. */
  clone(content: boolean): TempRepo;
  cleanup(): void;
}

const ENV = { GIT_CONFIG_NOSYSTEM: "1", GIT_TERMINAL_PROMPT: "0" };

export function lfsWorld(): LfsWorld {
  const base = mkdtempSync(join(tmpdir(), "wspub-lfs-"));
  const remote = join(base, "remote.git");
  execFileSync("git", ["init", "-q", "--bare", "-b", "main", remote], { env: { ...process.env, ...ENV } });
  const source = tempRepo("", join(base, "source"));
  source.git("lfs", "install", "--local");
  source.git("lfs", "track", "*.bin");
  source.git("remote", "add", "origin", `file://${remote}`);
  const clones: TempRepo[] = [];
  return {
    remote,
    source,
    commitAndPush(message) {
      const oid = source.commit(message);
      source.git("push", "-q", "origin", "main");
      return oid;
    },
    clone(content) {
      const dir = join(base, `clone-${clones.length + 1}`);
      execFileSync("git", ["clone", "-q", `file://${remote}`, dir], {
        env: { ...process.env, ...ENV, ...(content ? {} : { GIT_LFS_SKIP_SMUDGE: "1" }) },
        stdio: "ignore",
      });
      const repo = tempRepo("", dir);
      if (content) {
        repo.git("lfs", "install", "--local");
        repo.git("lfs", "pull");
      }
      clones.push(repo);
      return repo;
    },
    cleanup() {
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** Random bytes (incompressible, as a model or an image would be) and their SHA-256. */
export function binary(size: number): { body: Buffer; sha256: string } {
  const body = randomBytes(size);
  return { body, sha256: createHash("sha256").update(body).digest("hex") };
}

/** Whether a repository's LFS store holds this object (`.git/lfs/objects/aa/bb/<oid>`). */
export function hasLfsObject(repo: TempRepo, sha256: string): boolean {
  return existsSync(join(repo.dir, ".git", "lfs", "objects", sha256.slice(0, 2), sha256.slice(2, 4), sha256));
}
