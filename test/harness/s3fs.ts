// Test harness: a real s3fs mount of an S3 bucket, started with the very command line of the s3fs
// service in docker-compose.s3fs.yml.
//
// `composeS3fsMount()` reads the compose file, interpolates it the way Compose does (with the
// variables the caller gives, WSPUB_BUCKET set to the bucket) and makes these substitutions, each
// of which must match exactly once (so that a change to the compose file cannot silently make the
// test run something else):
//   1. the program: the command's first word, `s3fs`, is dropped (the caller runs its s3fs binary);
//   2. the bucket: the first argument must be the bucket the variables name;
//   3. the mount point: the s3fs service's bind target (/mnt/workspaces) -> a temporary directory;
//   4. url=http://minio:9000 -> url=<the test server's endpoint>;
//   5. the keys, AWSACCESSKEYID and AWSSECRETACCESSKEY -> the test server's;
//   6. foreground: -f must be there (it is kept: s3fs stays the harness's child, its log on its output).
// Every other option and environment variable is passed through unchanged.
//
// `startS3fsMount()` runs it as root, waits until the kernel lists the FUSE mount and it answers,
// and returns `stop()`, which unmounts (fusermount3 -u, else umount -l) and ends s3fs; a mount
// still there when the process exits is unmounted lazily. The mount point's parent is made 0755,
// so that other users (the monitor's) can reach the mount, as they reach the compose bind mount.
//
// The Compose helpers come from ./rclone.js, so this file is for vitest only: Node's type
// stripping (the benchmarks) cannot resolve a `.js` import to a `.ts` file.

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type ComposeService, environmentOf, interpolateAll, readCompose, type S3Remote } from "./rclone.js";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const S3FS_COMPOSE_FILE = join(REPO_ROOT, "docker-compose.s3fs.yml");
const MOUNT_TIMEOUT_MS = 20_000;
const FILE = "docker-compose.s3fs.yml";

/** S3FS_BIN, else `s3fs` on PATH (Debian's package: /usr/bin/s3fs); undefined if none. */
export function s3fsBinary(): string | undefined {
  const fromEnv = process.env["S3FS_BIN"];
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  return onPath("s3fs");
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env["PATH"] ?? "/usr/bin:/bin").split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return existsSync(`/usr/bin/${name}`) ? `/usr/bin/${name}` : undefined;
}

/** Why an s3fs mount cannot be made and read as another user here, or undefined when it can. */
export function s3fsUnavailable(): string | undefined {
  if (process.platform !== "linux") return `s3fs mounts are only tested on Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return "the s3fs test runs as root (it mounts with allow_other and reads as nobody)";
  if (!existsSync("/dev/fuse")) return "/dev/fuse does not exist (no FUSE in this kernel or container)";
  if (!s3fsBinary()) return "s3fs is missing (apt-get install s3fs, or bash scripts/install-test-deps.sh)";
  if (!onPath("runuser")) return "runuser is missing (util-linux)";
  return undefined;
}

// --- The compose file's command ------------------------------------------------------------------

export interface S3fsCommand {
  /** s3fs's arguments (the command without its first word, `s3fs`). */
  args: string[];
  /** The environment s3fs gets on top of a cleaned process environment. */
  env: Record<string, string>;
  /** What was substituted, for the test log. */
  substitutions: string[];
}

/**
 * The s3fs service's command line and environment from the compose file, interpolated with `vars`
 * (and WSPUB_BUCKET=`bucket` when given), with the substitutions listed at the top of this file.
 */
export function composeS3fsMount(o: {
  vars: Record<string, string>;
  mountpoint: string;
  s3: S3Remote;
  bucket?: string;
  composePath?: string;
}): S3fsCommand {
  const vars = o.bucket === undefined ? o.vars : { ...o.vars, WSPUB_BUCKET: o.bucket };
  const service = interpolateAll(readCompose(o.composePath ?? S3FS_COMPOSE_FILE), vars).services["s3fs"];
  if (!service || !Array.isArray(service.command)) throw new Error(`${FILE}: the s3fs service has no command list`);
  const substitutions: string[] = [];
  const once = (list: string[], from: string, to: string) => {
    const hits = list.filter((a) => a === from).length;
    if (hits !== 1)
      throw new Error(`${FILE}: expected ${JSON.stringify(from)} once in the s3fs command, found it ${hits} times`);
    substitutions.push(`${from} -> ${to}`);
    return list.map((a) => (a === from ? to : a));
  };
  const [program, bucket, ...rest] = service.command;
  if (program !== "s3fs") throw new Error(`${FILE}: the s3fs service's command must start with s3fs`);
  const wanted = vars["WSPUB_BUCKET"] || "workspaces";
  if (bucket !== wanted) throw new Error(`${FILE}: the s3fs command mounts ${bucket}, expected ${wanted}`);
  substitutions.push(`dropped ${program}`, `bucket ${bucket}`);
  let args = [bucket, ...rest];
  args = once(args, bindTarget(service), o.mountpoint);
  args = once(args, "url=http://minio:9000", `url=${o.s3.endpoint}`);
  if (!args.includes("-f")) throw new Error(`${FILE}: the s3fs command must run in the foreground (-f)`);

  const env = environmentOf(service);
  const replace = (key: string, value: string) => {
    if (!(key in env)) throw new Error(`${FILE}: the s3fs service has no ${key}`);
    substitutions.push(`${key}=(the test server's)`);
    env[key] = value;
  };
  replace("AWSACCESSKEYID", o.s3.accessKeyId);
  replace("AWSSECRETACCESSKEY", o.s3.secretAccessKey);
  return { args, env, substitutions };
}

function bindTarget(service: ComposeService): string {
  const bind = (service.volumes ?? []).find(
    (v): v is Exclude<typeof v, string> => typeof v === "object" && v.type === "bind",
  );
  if (!bind) throw new Error(`${FILE}: the s3fs service needs its bind mount`);
  return bind.target;
}

/**
 * The process environment without what would steer s3fs or libcurl elsewhere: AWS_* (AWS keys win
 * over AWSACCESSKEYID; AWS_CA_BUNDLE...), s3fs's own AWS*KEY* / S3FS_* variables and CA bundles
 * (the test server is plain http on 127.0.0.1), plus `extra`.
 */
export function s3fsEnv(extra: Record<string, string>, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) {
    if (v === undefined || /^(AWS|S3FS_)|CA_BUNDLE|CA_CERTS|CAINFO|SSL_CERT/i.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

// --- Running a mount -----------------------------------------------------------------------------

export interface S3fsMount {
  /** Where the bucket is mounted. */
  dir: string;
  command: S3fsCommand;
  /** The last lines s3fs wrote. */
  log(): string;
  stop(): Promise<void>;
}

const mounted = (dir: string) =>
  readIfExists("/proc/mounts")
    .split("\n")
    .some((l) => l.split(" ")[1] === dir.replace(/ /g, "\\040"));

function readIfExists(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** fusermount3 -u, else a lazy umount (a busy mount goes once its last user lets go). */
function unmount(dir: string): void {
  if (!mounted(dir)) return;
  if (spawnSync("fusermount3", ["-u", dir]).status === 0 && !mounted(dir)) return;
  spawnSync("umount", ["-l", dir]);
}

const running = new Map<S3fsMount, ChildProcess>();
let exitHandler = false;

/**
 * Mounts `bucket` of the S3 server with the compose file's s3fs command; `vars` are the compose
 * variables (e.g. WSPUB_S3FS_STAT_CACHE_EXPIRE).
 */
export async function startS3fsMount(o: {
  bucket: string;
  s3: S3Remote;
  vars?: Record<string, string>;
}): Promise<S3fsMount> {
  const unavailable = s3fsUnavailable();
  if (unavailable) throw new Error(unavailable);
  const scratch = mkdtempSync(join(tmpdir(), "wspub-s3fs-"));
  chmodSync(scratch, 0o755);
  const dir = join(scratch, "workspaces");
  mkdirSync(dir);
  const command = composeS3fsMount({ vars: o.vars ?? {}, bucket: o.bucket, mountpoint: dir, s3: o.s3 });
  // WSPUB_TEST_S3FS_DBGLEVEL=info: s3fs's log level (diagnostics only; not a compose setting).
  const level = process.env["WSPUB_TEST_S3FS_DBGLEVEL"];
  const args = level ? [...command.args, "-o", `dbglevel=${level}`] : command.args;
  const logLines: string[] = [];
  const child = spawn(s3fsBinary()!, args, { env: s3fsEnv(command.env), stdio: ["ignore", "pipe", "pipe"] });
  const onData = (d: Buffer) => {
    logLines.push(...d.toString("utf8").split("\n").filter(Boolean));
    if (logLines.length > 200) logLines.splice(0, logLines.length - 200);
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  child.on("error", (e) => logLines.push(`could not run s3fs: ${e.message}`));
  const mount: S3fsMount = {
    dir,
    command,
    log: () => logLines.slice(-60).join("\n"),
    stop: async () => {
      running.delete(mount);
      unmount(dir);
      // Unmounted, s3fs -f returns by itself; the signals are for one that never mounted or hangs.
      if (!(await exited(child, 5_000))) {
        child.kill("SIGTERM");
        if (!(await exited(child, 5_000))) {
          child.kill("SIGKILL");
          await exited(child, 5_000);
        }
      }
      unmount(dir);
      if (!mounted(dir)) rmSync(scratch, { recursive: true, force: true });
    },
  };
  running.set(mount, child);
  if (!exitHandler) {
    exitHandler = true;
    process.on("exit", () => {
      for (const [m, c] of running) {
        unmount(m.dir);
        c.kill("SIGKILL");
      }
    });
  }
  try {
    await waitUntilMounted(mount, child);
  } catch (e) {
    await mount.stop();
    throw e;
  }
  return mount;
}

function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((ok) => {
    const timer = setTimeout(() => ok(false), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      ok(true);
    });
  });
}

async function waitUntilMounted(m: S3fsMount, child: ChildProcess): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < MOUNT_TIMEOUT_MS) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`s3fs exited (code ${child.exitCode}, signal ${child.signalCode})\n--- s3fs log ---\n${m.log()}`);
    }
    if (mounted(m.dir) && answers(m.dir)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`s3fs did not mount ${m.dir} within ${MOUNT_TIMEOUT_MS / 1000}s\n--- s3fs log ---\n${m.log()}`);
}

/** The mount lists its root (s3fs answers the kernel, and the bucket answers s3fs). */
function answers(dir: string): boolean {
  try {
    readdirSync(dir);
    return true;
  } catch {
    return false;
  }
}
