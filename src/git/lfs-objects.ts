import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { access, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { type Readable, Transform } from "node:stream";
import { gitFailure } from "../errors.js";
import { runGit } from "./exec.js";

/** What `git lfs fetch` did: whether git-lfs is installed at all, and what it said when it failed. */
export interface LfsFetchOutcome {
  installed: boolean;
  ok: boolean;
  /** git-lfs's last lines on stderr (its errors name the objects it could not get). */
  said: string;
  /** The remote it fetched from. */
  remote: string;
}

/** The clone's Git LFS objects: read by content id, and fetched with git-lfs when missing. */
export interface LfsObjects {
  /** Those of these SHA-256 ids whose object the clone does not have. */
  missing(oids: readonly string[]): Promise<string[]>;
  /** `git lfs fetch` of the objects of exactly these repository-relative paths at `commit`. */
  fetch(commit: string, paths: readonly string[]): Promise<LfsFetchOutcome>;
}

/**
 * The LFS store of the repository at `root`: `lfs.storage` (relative to the git directory shared
 * by all worktrees) or `<git dir>/lfs`, objects at `objects/<oid[0:2]>/<oid[2:4]>/<oid>`, as
 * git-lfs lays them out (spec.md). Reading needs no git-lfs; fetching runs it.
 */
export class CliLfsObjects implements LfsObjects {
  private dir: Promise<string> | undefined;

  constructor(private readonly root: string) {}

  private objectsDir(): Promise<string> {
    this.dir ??= (async () => {
      const common = (await runGit(this.root, ["rev-parse", "--git-common-dir"])).stdout.trim();
      const storage = (await runGit(this.root, ["config", "--get", "lfs.storage"], { allowFailure: true })).stdout;
      const base = resolve(this.root, common);
      const lfs = storage.trim() === "" ? join(base, "lfs") : resolve(base, storage.trim());
      return join(lfs, "objects");
    })();
    return this.dir;
  }

  private async pathOf(oid: string): Promise<string> {
    return join(await this.objectsDir(), oid.slice(0, 2), oid.slice(2, 4), oid);
  }

  async missing(oids: readonly string[]): Promise<string[]> {
    const absent: string[] = [];
    for (const oid of new Set(oids)) {
      const found = await access(await this.pathOf(oid)).then(
        () => true,
        () => false,
      );
      if (!found) absent.push(oid);
    }
    return absent;
  }

  /** The content of an object, checked against its id; undefined when the clone does not have it. */
  async read(oid: string): Promise<Buffer | undefined> {
    const body = await readFile(await this.pathOf(oid)).catch((e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") return undefined;
      throw gitFailure(`could not read the Git LFS object ${oid}: ${e.message}`, e);
    });
    if (body !== undefined && createHash("sha256").update(body).digest("hex") !== oid) throw corrupt(oid);
    return body;
  }

  /** The content of an object as a stream that fails at its end when the bytes do not hash to the id. */
  stream(oid: string): Readable {
    const hash = createHash("sha256");
    const check = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
      flush(done) {
        done(hash.digest("hex") === oid ? null : corrupt(oid));
      },
    });
    this.pathOf(oid).then(
      (path) => {
        const file = createReadStream(path);
        file.on("error", (e) => check.destroy(gitFailure(`could not read the Git LFS object ${oid}: ${e.message}`, e)));
        file.pipe(check);
      },
      (e: unknown) => check.destroy(e as Error),
    );
    return check;
  }

  async fetch(commit: string, paths: readonly string[]): Promise<LfsFetchOutcome> {
    const remote = await this.defaultRemote();
    const include = paths.map(includePattern).join(",");
    const r = await runGit(this.root, ["lfs", "fetch", `--include=${include}`, "--", remote, commit], {
      allowFailure: true,
    });
    const installed = !/'lfs' is not a git command/.test(r.stderr);
    const said = r.stderr.trim().split("\n").slice(-4).join("\n");
    return { installed, ok: r.exitCode === 0, said, remote };
  }

  /**
   * The remote git-lfs itself fetches from: the current branch's remote, else `remote.lfsdefault`,
   * else the only remote, else origin.
   */
  private async defaultRemote(): Promise<string> {
    const value = async (args: string[]) => (await runGit(this.root, args, { allowFailure: true })).stdout.trim();
    const branch = await value(["symbolic-ref", "--quiet", "--short", "HEAD"]);
    const tracked = branch === "" ? "" : await value(["config", "--get", `branch.${branch}.remote`]);
    if (tracked !== "" && tracked !== ".") return tracked;
    const configured = await value(["config", "--get", "remote.lfsdefault"]);
    if (configured !== "") return configured;
    const remotes = (await value(["remote"])).split("\n").filter((r) => r !== "");
    return remotes.length === 1 ? remotes[0]! : "origin";
  }
}

/**
 * A path as one of git-lfs's include patterns: anchored at the top (`/`), its wildcard characters
 * escaped, and a comma (which separates patterns) matched by `?`.
 */
export function includePattern(path: string): string {
  return `/${path.replace(/[\\*?[\]]/g, "\\$&").replace(/,/g, "?")}`;
}

const corrupt = (oid: string) =>
  gitFailure(`the Git LFS object ${oid} in this clone does not match its id (run git lfs fsck)`);
