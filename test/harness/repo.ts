import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** A file-tree fixture: path -> content; `{ link }` makes a symlink, `{ content, mode: 0o755 }` an executable. */
export type Tree = Record<string, string | Buffer | { link: string } | { content: string | Buffer; mode: number }>;

export interface TempRepo {
  dir: string;
  git(...args: string[]): string;
  write(tree: Tree): void;
  remove(...paths: string[]): void;
  commit(message: string, options?: { all?: boolean }): string;
  cleanup(): void;
}

const GIT_ENV = {
  GIT_AUTHOR_NAME: "Test",
  GIT_AUTHOR_EMAIL: "test@example.com",
  GIT_COMMITTER_NAME: "Test",
  GIT_COMMITTER_EMAIL: "test@example.com",
  GIT_CONFIG_NOSYSTEM: "1",
};

/** A real temporary repository (gc and maintenance off), removed by cleanup(). */
export function tempRepo(prefix = "wspub-repo-", dir?: string): TempRepo {
  const root = dir ?? mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(root, { recursive: true });
  const git = (...args: string[]) =>
    execFileSync("git", args, {
      cwd: root,
      env: { ...process.env, ...GIT_ENV },
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
    });
  git("init", "-q", "-b", "main");
  git("config", "gc.auto", "0");
  git("config", "maintenance.auto", "false");
  git("config", "core.autocrlf", "false");
  git("config", "commit.gpgsign", "false");
  let tick = 1_700_000_000;
  const repo: TempRepo = {
    dir: root,
    git,
    write(tree) {
      for (const [path, spec] of Object.entries(tree)) {
        const full = join(root, path);
        mkdirSync(dirname(full), { recursive: true });
        rmSync(full, { force: true, recursive: true });
        if (typeof spec === "object" && spec !== null && "link" in spec) symlinkSync(spec.link, full);
        else if (typeof spec === "object" && spec !== null && "mode" in spec && !Buffer.isBuffer(spec)) {
          writeFileSync(full, spec.content);
          chmodSync(full, spec.mode);
        } else writeFileSync(full, spec as string | Buffer);
      }
    },
    remove(...paths) {
      for (const p of paths) rmSync(join(root, p), { recursive: true, force: true });
    },
    commit(message, options = {}) {
      git("add", options.all === false ? "-u" : "-A");
      // Distinct, increasing committer times so mtime metadata is predictable.
      tick += 60;
      execFileSync("git", ["commit", "-q", "--allow-empty", "-m", message], {
        cwd: root,
        env: { ...process.env, ...GIT_ENV, GIT_COMMITTER_DATE: `${tick} +0000`, GIT_AUTHOR_DATE: `${tick} +0000` },
      });
      return git("rev-parse", "HEAD").trim();
    },
    cleanup() {
      rmSync(root, { recursive: true, force: true });
    },
  };
  return repo;
}
