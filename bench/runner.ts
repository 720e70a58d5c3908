// Runs a command, timing its wall clock and recording its peak RSS.
//
// Peak RSS comes from GNU time (`/usr/bin/time -f %M`: the largest maximum resident set size of
// the command and the children it waited for, e.g. wspub's git processes). Without GNU time it
// falls back to polling /proc/<pid>/status VmHWM of the command's own process every 10 ms.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { constants, tmpdir } from "node:os";
import { join } from "node:path";

export interface Sample {
  wallMs: number;
  /** Peak resident set size in KiB, null if it could not be measured. */
  peakRssKb: number | null;
  /** User + system CPU time of the command and its waited-for children (GNU time only). */
  cpuMs: number | null;
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export type RssMethod = "gnu-time" | "proc-poll" | "none";

const GNU_TIME = "/usr/bin/time";

function gnuTimeWorks(): boolean {
  if (!existsSync(GNU_TIME)) return false;
  const r = spawnSync(GNU_TIME, ["-f", "%M", "true"], { encoding: "utf8" });
  return r.status === 0 && /^\d+\s*$/m.test(r.stderr);
}

/**
 * Picks how peak RSS is measured. Installs the apt package `time` when GNU time is missing and we
 * are root with apt-get (set BENCH_NO_INSTALL=1 to skip that).
 */
export function detectRssMethod(log: (s: string) => void): RssMethod {
  if (gnuTimeWorks()) return "gnu-time";
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (isRoot && !process.env["BENCH_NO_INSTALL"] && existsSync("/usr/bin/apt-get")) {
    log("GNU time missing: apt-get install time");
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    let r = spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "time"], { env, stdio: "ignore" });
    if (r.status !== 0) {
      spawnSync("apt-get", ["update", "-qq"], { env, stdio: "ignore" });
      r = spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "time"], { env, stdio: "ignore" });
    }
    if (gnuTimeWorks()) return "gnu-time";
  }
  if (existsSync("/proc/self/status")) {
    log("GNU time unavailable: peak RSS from /proc polling (the command's own process only)");
    return "proc-poll";
  }
  log("GNU time and /proc unavailable: no peak RSS");
  return "none";
}

const running = new Set<ChildProcess>();

/** Kills every command still running (SIGINT / error paths). */
export function killRunning(): void {
  for (const c of running) {
    try {
      // Each command runs in its own process group: this also reaches the command under GNU time.
      if (c.pid !== undefined) process.kill(-c.pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
}

function readHwmKb(pid: number): number | null {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export function runCommand(
  method: RssMethod,
  cmd: string,
  args: readonly string[],
  options: RunOptions,
): Promise<Sample> {
  let scratch: string | undefined;
  let file = cmd;
  let argv = [...args];
  if (method === "gnu-time") {
    scratch = mkdtempSync(join(tmpdir(), "wspub-bench-time-"));
    file = GNU_TIME;
    argv = ["-f", "%M %U %S", "-o", join(scratch, "rss"), cmd, ...args];
  }
  return new Promise<Sample>((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, argv, {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    running.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    let hwm: number | null = null;
    const poll =
      method === "proc-poll"
        ? setInterval(() => {
            const v = child.pid === undefined ? null : readHwmKb(child.pid);
            if (v !== null) hwm = Math.max(hwm ?? 0, v);
          }, 10)
        : undefined;
    const timer = options.timeoutMs
      ? setTimeout(() => {
          try {
            if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
          } catch {
            /* gone */
          }
        }, options.timeoutMs)
      : undefined;
    child.once("error", (e) => {
      running.delete(child);
      if (poll) clearInterval(poll);
      if (timer) clearTimeout(timer);
      if (scratch) rmSync(scratch, { recursive: true, force: true });
      reject(e);
    });
    child.once("close", (code, signal) => {
      const wallMs = performance.now() - started;
      running.delete(child);
      if (poll) clearInterval(poll);
      if (timer) clearTimeout(timer);
      let peakRssKb: number | null = method === "proc-poll" ? hwm : null;
      let cpuMs: number | null = null;
      if (scratch) {
        try {
          // GNU time writes "Command exited with non-zero status N" before the values on failure.
          const lines = readFileSync(join(scratch, "rss"), "utf8").trim().split("\n");
          const [rss, user, sys] = (lines[lines.length - 1] ?? "").split(" ").map(Number);
          if (rss !== undefined && Number.isFinite(rss) && rss > 0) peakRssKb = rss;
          if (user !== undefined && sys !== undefined && Number.isFinite(user + sys)) cpuMs = (user + sys) * 1000;
        } catch {
          /* killed before GNU time wrote anything */
        }
        rmSync(scratch, { recursive: true, force: true });
      }
      resolve({
        wallMs,
        peakRssKb,
        cpuMs,
        code: code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : -1),
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
  });
}
