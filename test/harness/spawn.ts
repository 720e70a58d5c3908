import { spawn, type SpawnOptions } from "node:child_process";

export interface Collected {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command without blocking the event loop (the caller watches something meanwhile) and collects its output. */
export function spawnCollect(
  cmd: string,
  args: readonly string[],
  options: Pick<SpawnOptions, "cwd" | "env">,
): Promise<Collected> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    child.once("error", fail);
    child.once("close", (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}
