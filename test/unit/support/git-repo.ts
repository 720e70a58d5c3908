import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** A throw-away git repository in a temporary directory, isolated from the user's git config. */
export class TempRepo {
  readonly dir: string;
  private readonly env: NodeJS.ProcessEnv;

  constructor(prefix = "wspub-unit-") {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
    this.env = {
      ...process.env,
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_CONFIG_GLOBAL: "/dev/null",
      HOME: this.dir,
      XDG_CONFIG_HOME: join(this.dir, ".xdg"),
      LC_ALL: "C",
    };
    this.git("init", "-q", "-b", "main");
    this.git("config", "user.email", "test@example.com");
    this.git("config", "user.name", "wspub test");
    this.git("config", "core.autocrlf", "false");
  }

  git(...args: string[]): string {
    return execFileSync("git", args, { cwd: this.dir, env: this.env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  }

  gitBuffer(args: string[], input?: Buffer): Buffer {
    return execFileSync("git", args, {
      cwd: this.dir,
      env: this.env,
      maxBuffer: 64 * 1024 * 1024,
      ...(input ? { input } : {}),
    });
  }

  write(path: string, content: string | Buffer): void {
    const full = join(this.dir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  }

  symlink(path: string, target: string): void {
    const full = join(this.dir, path);
    mkdirSync(dirname(full), { recursive: true });
    symlinkSync(target, full);
  }

  /** Stores a blob without touching the work tree; returns its id. */
  hashObject(content: Buffer): string {
    return this.gitBuffer(["hash-object", "-w", "--stdin"], content).toString("utf8").trim();
  }

  /** `git add -f` everything, commit; returns the commit id. */
  commitAll(message = "fixture"): string {
    this.git("add", "-f", "-A", ".");
    this.git("commit", "-q", "--no-verify", "-m", message);
    return this.git("rev-parse", "HEAD").trim();
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
