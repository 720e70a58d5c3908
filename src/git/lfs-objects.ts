import { createHash } from "node:crypto";
import { constants, createReadStream } from "node:fs";
import { access, readFile, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { type Readable, Transform } from "node:stream";
import { gitFailure, gitInputError } from "../errors.js";
import { runGit } from "./exec.js";
import type { GitRepository } from "./port.js";

/** What `git lfs fetch` did: whether git-lfs is installed at all, and what it said when it failed. */
export interface LfsFetchOutcome {
  installed: boolean;
  ok: boolean;
  /** Everything git-lfs wrote on stderr (its errors name the objects it could not get). */
  said: string;
  /** The remote it fetched from. */
  remote: string;
}

/** An LFS object as a pointer names it. */
export interface LfsObject {
  oid: string;
  size: number;
}

/** Bytes of include patterns per `git lfs fetch` (one argument: Linux allows 128 KiB). */
const INCLUDE_BYTES = 64 * 1024;

/** The clone's Git LFS objects: read by content id, and fetched with git-lfs when missing. */
export interface LfsObjects {
  /** The SHA-256 ids of those objects the clone does not have (or has with another size: cut short). */
  missing(objects: readonly LfsObject[]): Promise<string[]>;
  /** `git lfs fetch` of the objects of exactly these repository-relative paths at `commit`. */
  fetch(commit: string, paths: readonly string[]): Promise<LfsFetchOutcome>;
  /** Whether the LFS store can be written (not, in a clone mounted read-only). */
  writable(): Promise<boolean>;
}

/** What the LFS store asks of its repository (CliGit's own methods). */
type Repository = Pick<GitRepository, "root" | "commonDir" | "configValue" | "symbolicRef" | "remoteNames">;

/**
 * The LFS store of a repository: `lfs.storage` (relative to the git directory shared
 * by all worktrees) or `<git dir>/lfs`, objects at `objects/<oid[0:2]>/<oid[2:4]>/<oid>`, as
 * git-lfs lays them out (spec.md). Reading needs no git-lfs; fetching runs it.
 */
export class CliLfsObjects implements LfsObjects {
  private dir: Promise<string> | undefined;

  constructor(private readonly repo: Repository) {}

  private objectsDir(): Promise<string> {
    this.dir ??= (async () => {
      const base = await this.repo.commonDir();
      const storage = await this.repo.configValue("lfs.storage");
      return join(storage === undefined ? join(base, "lfs") : resolve(base, storage), "objects");
    })();
    this.dir.catch(() => (this.dir = undefined)); // a failed git call is asked again next time
    return this.dir;
  }

  private async pathOf(oid: string): Promise<string> {
    return join(await this.objectsDir(), oid.slice(0, 2), oid.slice(2, 4), oid);
  }

  async writable(): Promise<boolean> {
    // The store, or the nearest directory above it that exists (git-lfs creates the rest).
    for (let dir = dirname(await this.objectsDir()); ; dir = dirname(dir)) {
      const exists = await stat(dir).then(
        () => true,
        () => false,
      );
      if (exists) {
        return access(dir, constants.W_OK).then(
          () => true,
          () => false,
        );
      }
      if (dirname(dir) === dir) return false;
    }
  }

  async missing(objects: readonly LfsObject[]): Promise<string[]> {
    const absent = new Set<string>();
    for (const { oid, size } of objects) {
      if (absent.has(oid)) continue;
      const found = await stat(await this.pathOf(oid)).then(
        (s) => s.isFile() && s.size === size,
        () => false,
      );
      if (!found) absent.add(oid);
    }
    return [...absent];
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
        if (check.destroyed) return;
        const file = createReadStream(path);
        file.on("error", (e) => check.destroy(gitFailure(`could not read the Git LFS object ${oid}: ${e.message}`, e)));
        // A reader that stops early (an upload that failed) closes the file too.
        check.once("close", () => file.destroy());
        file.pipe(check);
      },
      (e: unknown) => check.destroy(e as Error),
    );
    return check;
  }

  async fetch(commit: string, paths: readonly string[]): Promise<LfsFetchOutcome> {
    const remote = await this.defaultRemote();
    const outcome: LfsFetchOutcome = { installed: true, ok: true, said: "", remote };
    for (const include of includeLists(paths)) {
      // Exactly these paths: no configured lfs.fetchexclude (a .lfsconfig may set one), no recent refs.
      const args = ["-c", "lfs.fetchrecentalways=false", "lfs", "fetch", `--include=${include}`, "--exclude="];
      const r = await runGit(this.repo.root, [...args, "--", remote, commit], { allowFailure: true });
      if (/'lfs' is not a git command/.test(r.stderr)) return { ...outcome, installed: false, ok: false };
      outcome.ok &&= r.exitCode === 0;
      outcome.said += r.stderr;
    }
    return outcome;
  }

  /**
   * The remote git-lfs itself fetches from: the current branch's remote, else `remote.lfsdefault`,
   * else the only remote, else origin.
   */
  private async defaultRemote(): Promise<string> {
    const branch = await this.repo.symbolicRef("HEAD");
    const tracked = branch === undefined ? undefined : await this.repo.configValue(`branch.${branch}.remote`);
    if (tracked !== undefined && tracked !== ".") return tracked;
    const configured = await this.repo.configValue("remote.lfsdefault");
    if (configured !== undefined) return configured;
    const remotes = await this.repo.remoteNames();
    return remotes.length === 1 ? remotes[0]! : "origin";
  }
}

/**
 * A path as one of git-lfs's include patterns: anchored at the top (`/`), its wildcard characters
 * escaped; what git-lfs would otherwise read as syntax (a comma, which separates patterns;
 * whitespace at the end, which it trims; a backslash) matched by `?`.
 */
export function includePattern(path: string): string {
  const trimmed = path.replace(/\s+$/, "");
  const escaped = trimmed.replace(/[\\,*?[\]]/g, (c) => (c === "\\" || c === "," ? "?" : `\\${c}`));
  return `/${escaped}${"?".repeat(path.length - trimmed.length)}`;
}

/** The include patterns of `paths`, in comma-separated lists of at most INCLUDE_BYTES each. */
export function includeLists(paths: readonly string[]): string[] {
  const lists: string[] = [];
  let current = "";
  for (const pattern of paths.map(includePattern)) {
    if (current !== "" && current.length + pattern.length + 1 > INCLUDE_BYTES) {
      lists.push(current);
      current = "";
    }
    current = current === "" ? pattern : `${current},${pattern}`;
  }
  if (current !== "") lists.push(current);
  return lists;
}

const corrupt = (oid: string) =>
  gitInputError(
    `the Git LFS object ${oid} in this clone does not match its id: run git lfs fsck (it moves the bad object ` +
      `aside), then publish again. Nothing was written.`,
  );
