// Test harness: a real `rclone mount` of an S3 bucket, started with the very command line of the
// rclone service in docker-compose.rclone.yml.
//
// `composeRcloneMount()` reads the compose file, interpolates it the way Compose does (`${VAR}`,
// `${VAR:-default}`, `${VAR:?error}`, `$$`) with the variables the caller gives, and makes these
// substitutions, each of which must match exactly once (so that a change to the compose file
// cannot silently make the test run something else):
//   1. the mount point: the rclone service's bind target (/mnt/workspaces) -> a temporary directory;
//   2. --cache-dir=<the rclone-cache volume's target> -> a temporary directory;
//   3. --rc-addr=:5572 -> 127.0.0.1:<a free port> (the container listens on its own network);
//   4. the remote's S3 endpoint, keys and provider (RCLONE_CONFIG_MINIO_*) -> the test's SeaweedFS;
//   5. --allow-other is dropped only when not root and /etc/fuse.conf lacks user_allow_other
//      (it only widens who may read the mount; the test reads it as its owner).
// Every other flag and environment variable is passed through unchanged.
//
// `startMount()` runs it, waits until the kernel lists the FUSE mount and the remote control answers,
// and returns `stop()`, which unmounts (fusermount3 -u, lazily if busy) and kills rclone.
//
// This file imports only Node built-ins and npm packages, so the benchmark can load it on Node's
// type stripping (bench/mount-latency.ts).

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const COMPOSE_FILE = join(REPO_ROOT, "docker-compose.rclone.yml");
const MOUNT_TIMEOUT_MS = 20_000;

/** RCLONE_BIN, else .tools/venv/bin/rclone, else `rclone` on PATH; undefined if none. */
export function rcloneBinary(): string | undefined {
  const fromEnv = process.env["RCLONE_BIN"];
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  const venv = join(REPO_ROOT, ".tools", "venv", "bin", "rclone");
  if (existsSync(venv)) return venv;
  return onPath("rclone");
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

/** Why a FUSE mount cannot be made here, or undefined when it can. */
export function fuseUnavailable(): string | undefined {
  if (process.platform !== "linux") return `FUSE mounts are only tested on Linux (this is ${process.platform})`;
  if (!existsSync("/dev/fuse")) return "/dev/fuse does not exist (no FUSE in this kernel or container)";
  if (!onPath("fusermount3") && !existsSync("/usr/bin/fusermount3") && !existsSync("/bin/fusermount3")) {
    return "fusermount3 is missing (apt-get install fuse3, or bash scripts/install-test-deps.sh)";
  }
  if (!rcloneBinary()) return "rclone is missing (bash scripts/install-test-deps.sh installs it into .tools/venv)";
  return undefined;
}

// --- Compose -----------------------------------------------------------------------------------

export interface ComposeService {
  image?: string;
  entrypoint?: string | string[];
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  volumes?: (string | { type: string; source?: string; target: string; bind?: { propagation?: string } })[];
  [key: string]: unknown;
}
export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  [key: string]: unknown;
}

/** The compose file as YAML gives it (no interpolation). */
export function readCompose(path = COMPOSE_FILE): ComposeFile {
  return parse(readFileSync(path, "utf8"), { strict: true, uniqueKeys: true }) as ComposeFile;
}

/**
 * Compose's interpolation of one string: `$$` -> `$`; `${VAR}` / `$VAR`; `${VAR:-default}` (unset
 * or empty), `${VAR-default}` (unset); `${VAR:?error}` / `${VAR?error}` (throw); `${VAR:+alt}` /
 * `${VAR+alt}`. https://docs.docker.com/reference/compose-file/interpolation/
 */
export function interpolate(text: string, vars: Record<string, string | undefined>): string {
  return text.replace(
    /\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?+])([^}$]*))?\}|([A-Za-z_][A-Za-z0-9_]*)|\{[^}]*\}?)/g,
    (whole, dollar: string, name?: string, colon?: string, op?: string, arg?: string, bare?: string) => {
      if (dollar === "$") return "$";
      if (bare !== undefined) return vars[bare] ?? "";
      if (name === undefined) throw new Error(`unsupported interpolation ${whole} in ${JSON.stringify(text)}`);
      const value = vars[name];
      const missing = colon ? value === undefined || value === "" : value === undefined;
      switch (op) {
        case undefined:
          return value ?? "";
        case "-":
          return missing ? (arg ?? "") : value!;
        case "?":
          if (missing) throw new Error(`required variable ${name} is missing a value: ${arg ?? ""}`);
          return value!;
        case "+":
          return missing ? "" : (arg ?? "");
        default:
          throw new Error(`unsupported interpolation ${whole}`);
      }
    },
  );
}

/** Every string in `value`, interpolated (what `docker compose config` does before anything else). */
export function interpolateAll<T>(value: T, vars: Record<string, string | undefined>): T {
  if (typeof value === "string") return interpolate(value, vars) as T;
  if (Array.isArray(value)) return value.map((v) => interpolateAll(v, vars)) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateAll(v, vars)])) as T;
  }
  return value;
}

/** A service's environment as a map (the list form `KEY=value` too). */
export function environmentOf(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) return Object.fromEntries(env.map((e) => [e.split("=")[0]!, e.slice(e.indexOf("=") + 1)]));
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? "" : String(v)]));
}

export interface S3Remote {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface MountCommand {
  args: string[];
  /** The environment rclone gets on top of a cleaned process environment. */
  env: Record<string, string>;
  /** What was substituted, for the test log. */
  substitutions: string[];
}

/**
 * The rclone service's command line and environment from the compose file, interpolated with
 * `vars` and with the substitutions listed at the top of this file.
 */
export function composeRcloneMount(o: {
  vars: Record<string, string>;
  mountpoint: string;
  cacheDir: string;
  rcAddr: string;
  s3: S3Remote;
  composePath?: string;
}): MountCommand {
  const compose = interpolateAll(readCompose(o.composePath), o.vars);
  const service = compose.services["rclone"];
  if (!service || !Array.isArray(service.command))
    throw new Error("docker-compose.rclone.yml: the rclone service has no command list");
  const volumes = service.volumes ?? [];
  const bind = volumes.find((v): v is Exclude<typeof v, string> => typeof v === "object" && v.type === "bind");
  const cache = volumes.find((v): v is string => typeof v === "string" && v.startsWith("rclone-cache:"));
  if (!bind || !cache)
    throw new Error("docker-compose.rclone.yml: the rclone service needs its bind mount and its rclone-cache volume");
  const cacheTarget = cache.split(":")[1]!;
  const substitutions: string[] = [];
  const once = (list: string[], from: string, to: string | null) => {
    const hits = list.filter((a) => a === from).length;
    if (hits !== 1)
      throw new Error(
        `docker-compose.rclone.yml: expected ${JSON.stringify(from)} once in the rclone command, found it ${hits} times`,
      );
    substitutions.push(to === null ? `dropped ${from}` : `${from} -> ${to}`);
    return to === null ? list.filter((a) => a !== from) : list.map((a) => (a === from ? to : a));
  };
  let args = [...service.command];
  args = once(args, bind.target, o.mountpoint);
  args = once(args, `--cache-dir=${cacheTarget}`, `--cache-dir=${o.cacheDir}`);
  args = once(args, "--rc-addr=:5572", `--rc-addr=${o.rcAddr}`);
  if (!isRoot() && !/^\s*user_allow_other\b/m.test(readIfExists("/etc/fuse.conf")))
    args = once(args, "--allow-other", null);

  const env = environmentOf(service);
  const replace = (key: string, value: string, shown = value) => {
    if (!(key in env)) throw new Error(`docker-compose.rclone.yml: the rclone service has no ${key}`);
    substitutions.push(`${key}=${shown}`);
    env[key] = value;
  };
  replace("RCLONE_CONFIG_MINIO_PROVIDER", "SeaweedFS");
  replace("RCLONE_CONFIG_MINIO_ENDPOINT", o.s3.endpoint);
  replace("RCLONE_CONFIG_MINIO_ACCESS_KEY_ID", o.s3.accessKeyId, "(the test server's)");
  replace("RCLONE_CONFIG_MINIO_SECRET_ACCESS_KEY", o.s3.secretAccessKey, "(the test server's)");
  return { args, env, substitutions };
}

function readIfExists(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

// --- Running a mount --------------------------------------------------------------------------------

export interface Mount {
  /** Where the bucket is mounted. */
  dir: string;
  rcUrl: string;
  rcUser: string;
  rcPass: string;
  command: MountCommand;
  /** The last lines rclone logged. */
  log(): string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((ok, fail) => {
    srv.once("error", fail);
    srv.listen(0, "127.0.0.1", ok);
  });
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((ok) => srv.close(() => ok()));
  return port;
}

const mounted = (dir: string) =>
  readIfExists("/proc/mounts")
    .split("\n")
    .some((l) => l.split(" ")[1] === dir.replace(/ /g, "\\040"));

const running = new Set<Mount>();
let exitHandler = false;

/**
 * Mounts `bucket` of the S3 server with the compose file's rclone command. `vars` are the compose
 * variables (WSPUB_MOUNT_RC_PASS is set to a random password unless given).
 */
export async function startMount(o: {
  bucket: string;
  s3: S3Remote;
  vars?: Record<string, string>;
  baseEnv?: NodeJS.ProcessEnv;
}): Promise<Mount> {
  const bin = rcloneBinary();
  if (!bin) throw new Error(fuseUnavailable() ?? "rclone is missing");
  const scratch = mkdtempSync(join(tmpdir(), "wspub-mount-"));
  const dir = join(scratch, "workspaces");
  const cacheDir = join(scratch, "cache");
  mkdirSync(dir);
  mkdirSync(cacheDir);
  const port = await freePort();
  const rcUser = "wspub";
  const rcPass = randomBytes(12).toString("hex");
  const vars = { WSPUB_MOUNT_RC_USER: rcUser, WSPUB_MOUNT_RC_PASS: rcPass, ...o.vars, WSPUB_BUCKET: o.bucket };
  const command = composeRcloneMount({ vars, mountpoint: dir, cacheDir, rcAddr: `127.0.0.1:${port}`, s3: o.s3 });
  // No inherited rclone or AWS settings: only what the compose file gives the container.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(o.baseEnv ?? process.env)) {
    if (v !== undefined && !/^(RCLONE_|AWS_)/i.test(k)) env[k] = v;
  }
  Object.assign(env, command.env, { RCLONE_CONFIG: join(scratch, "rclone.conf") });
  // WSPUB_TEST_RCLONE_LOG=<file>: rclone's debug log goes there (diagnostics only; not a compose setting).
  const debugLog = process.env["WSPUB_TEST_RCLONE_LOG"];
  if (debugLog) Object.assign(env, { RCLONE_LOG_LEVEL: "DEBUG", RCLONE_LOG_FILE: `${debugLog}.${port}` });
  const logLines: string[] = [];
  const child: ChildProcess = spawn(bin, command.args, { env, stdio: ["ignore", "pipe", "pipe"] });
  const onData = (d: Buffer) => {
    logLines.push(...d.toString("utf8").split("\n").filter(Boolean));
    if (logLines.length > 200) logLines.splice(0, logLines.length - 200);
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const rcUrl = `http://127.0.0.1:${port}`;
  const mount: Mount = {
    dir,
    rcUrl,
    rcUser,
    rcPass: vars.WSPUB_MOUNT_RC_PASS,
    command,
    log: () => logLines.slice(-60).join("\n"),
    stop: async () => {
      running.delete(mount);
      if (mounted(dir)) {
        const r = spawnSync("fusermount3", ["-u", dir], { encoding: "utf8" });
        if (r.status !== 0) spawnSync("fusermount3", ["-uz", dir]);
      }
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        if (!(await exited(child, 5_000))) {
          child.kill("SIGKILL");
          await exited(child, 5_000);
        }
      }
      if (mounted(dir)) spawnSync("fusermount3", ["-uz", dir]);
      rmSync(scratch, { recursive: true, force: true });
    },
  };
  running.add(mount);
  if (!exitHandler) {
    exitHandler = true;
    process.on("exit", () => {
      for (const m of running) {
        spawnSync("fusermount3", ["-uz", m.dir]);
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

async function waitUntilMounted(m: Mount, child: ChildProcess): Promise<void> {
  const started = Date.now();
  const auth = `Basic ${Buffer.from(`${m.rcUser}:${m.rcPass}`).toString("base64")}`;
  while (Date.now() - started < MOUNT_TIMEOUT_MS) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `rclone mount exited (code ${child.exitCode}, signal ${child.signalCode})\n--- rclone log ---\n${m.log()}`,
      );
    }
    if (mounted(m.dir)) {
      const ok = await fetch(`${m.rcUrl}/rc/noop`, { method: "POST", headers: { authorization: auth } }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`rclone did not mount ${m.dir} within ${MOUNT_TIMEOUT_MS / 1000}s\n--- rclone log ---\n${m.log()}`);
}
