import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { imageCommand } from "./dockerfile.js";
import { cleanEnv } from "./seaweed.js";
import { onJsonLines } from "./json-lines.js";

const repoRoot = resolve(import.meta.dirname, "../..");

/** One JSON line of `wspub watch --json`. */
export type WatchLine = { time: string; event: string } & Record<string, unknown>;

export interface WatchProcess {
  child: ChildProcess;
  lines: WatchLine[];
  stderr: () => string;
  /** Waits for a line that `match` accepts (lines already seen count), or fails after `timeoutMs`. */
  waitFor(what: string, match: (l: WatchLine) => boolean, timeoutMs?: number): Promise<WatchLine>;
  /** Resident memory of the process, from /proc (KiB). */
  rssKb(): number;
  /** Sends SIGTERM; resolves with the exit code and how long it took. */
  stop(): Promise<{ code: number | null; ms: number }>;
  cleanup(): void;
}

/**
 * Starts the publisher service as its image does: the Dockerfile's final stage COPY lines are
 * replayed into a temporary directory (no node_modules there: the bundle must be whole), and its
 * ENTRYPOINT + CMD run with `/workspaces` replaced by `workspaces` and `--listen :9464` by `listen`.
 */
export function startImageCommand(o: {
  workspaces: string;
  listen: string;
  env: Record<string, string>;
  extra?: string[];
}): WatchProcess {
  const image = imageCommand();
  const root = mkdtempSync(join(tmpdir(), "wspub-image-"));
  const place = (p: string) => join(root, p);
  for (const c of image.copies) {
    mkdirSync(dirname(place(c.to)), { recursive: true });
    cpSync(join(repoRoot, c.from), place(c.to), { recursive: true });
  }
  const argv = image.argv.map((a) =>
    a === "/workspaces" ? o.workspaces : a === ":9464" ? o.listen : a.startsWith("/") ? place(a) : a,
  );
  const env = cleanEnv(o.env);
  env["PATH"] = [dirname(process.execPath), env["PATH"] ?? ""].join(delimiter);
  const [cmd, ...args] = argv;
  const child = spawn(cmd === "node" ? process.execPath : cmd!, [...args, "--json", ...(o.extra ?? [])], {
    cwd: place(image.workdir),
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: WatchLine[] = [];
  let err = "";
  const waiters = new Set<() => void>();
  onJsonLines<WatchLine>(child.stdout!, (line) => {
    lines.push(line);
    for (const w of waiters) w();
  });
  child.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
  return {
    child,
    lines,
    stderr: () => err,
    waitFor: (what, match, timeoutMs = 30_000) =>
      new Promise((res, rej) => {
        const check = () => {
          const hit = lines.find(match);
          if (!hit) return;
          clearTimeout(timer);
          waiters.delete(check);
          res(hit);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          rej(
            new Error(
              `timed out waiting for ${what}\n--- lines ---\n${lines.map((l) => JSON.stringify(l)).join("\n")}\n--- stderr ---\n${err}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    rssKb: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? 0),
    stop: async () => {
      const t0 = Date.now();
      child.kill("SIGTERM");
      const code = await exited;
      return { code, ms: Date.now() - t0 };
    },
    cleanup: () => {
      if (child.exitCode === null) child.kill("SIGKILL");
      rmSync(root, { recursive: true, force: true });
    },
  };
}
