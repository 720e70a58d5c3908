// The S3 server the benchmark publishes to: the test harness's throw-away SeaweedFS on 127.0.0.1
// (see test/harness/seaweed.ts; `weed` from .tools/venv, installed by scripts/install-test-deps.sh).

import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { createBucket, s3Client, startSeaweed, weedBinary, type S3Server } from "../test/harness/seaweed.ts";

export { cleanEnv } from "../test/harness/seaweed.ts";
export type { S3Server };

export function weedVersion(): string {
  try {
    const r = spawnSync(weedBinary(), ["version"], { encoding: "utf8" });
    return (r.stdout.split("\n")[0] ?? "").trim() || "?";
  } catch (e) {
    return `unavailable: ${(e as Error).message}`;
  }
}

export async function startServer(): Promise<S3Server> {
  return startSeaweed();
}

/**
 * Creates `bucket` and writes one small object into it, so that the volume SeaweedFS grows for a
 * new bucket (a collection) exists before anything is timed.
 */
export async function prepareBucket(server: S3Server, bucket: string): Promise<void> {
  await createBucket(server, bucket);
  const client = s3Client(server);
  try {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: "warm-up/object", Body: "warm-up\n" }));
  } finally {
    client.destroy();
  }
}

/** The pid of the `weed server` process of `server` (found by its data directory in /proc), or null. */
export function serverPid(server: S3Server): number | null {
  const needle = `-dir=${join(server.dataDir, "data")}`;
  try {
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
        if (argv.includes("server") && argv.includes(needle)) return Number(entry);
      } catch {
        /* gone, or not ours */
      }
    }
  } catch {
    /* no /proc */
  }
  return null;
}

let clockTicks: number | undefined;

/** User + system CPU time consumed so far by process `pid` (from /proc/<pid>/stat), or null. */
export function processCpuMs(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    clockTicks ??= Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
  } catch {
    return null;
  }
}
