// aws s3 sync: the AWS CLI from Debian's `awscli` package (/usr/bin/aws; `apt-get install -y
// awscli` when missing and running as root), else the first `aws` on PATH. It walks the local
// directory, lists the prefix, and uploads a file whose size differs or whose local mtime is
// newer than the object's LastModified. max_concurrent_requests (the benchmark's concurrency) is
// set in a throw-away AWS_CONFIG_FILE; --delete makes it a mirror like the others.

import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
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

const APT_AWS = "/usr/bin/aws";

let resolved: string | null | undefined;
function awsBinary(): string | null {
  resolved ??= findAws();
  return resolved;
}

function findAws(): string | null {
  const fromEnv = process.env["AWS_CLI_BIN"];
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : null;
  if (existsSync(APT_AWS)) return APT_AWS;
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (dir && existsSync(join(dir, "aws"))) return join(dir, "aws");
  }
  return null;
}

function env(target: PublishTarget | null, options: PublishOptions): NodeJS.ProcessEnv {
  const config = join(options.scratch, "aws-config");
  const credentials = join(options.scratch, "aws-credentials");
  writeFileSync(config, `[default]\nregion = us-east-1\ns3 =\n    max_concurrent_requests = ${options.concurrency}\n`);
  writeFileSync(credentials, "");
  const extra: Record<string, string> = {
    HOME: options.scratch,
    AWS_CONFIG_FILE: config,
    AWS_SHARED_CREDENTIALS_FILE: credentials,
    AWS_PAGER: "",
    AWS_EC2_METADATA_DISABLED: "true",
  };
  if (target) {
    Object.assign(extra, {
      AWS_ACCESS_KEY_ID: target.server.accessKeyId,
      AWS_SECRET_ACCESS_KEY: target.server.secretAccessKey,
    });
  }
  return cleanEnv(extra);
}

export const awsSync: Tool = {
  name: "aws",
  describe:
    "aws s3 sync <tree> s3://<bucket>/<prefix>/<name>/ --delete --endpoint-url <url> --no-progress (s3.max_concurrent_requests = N)",
  peer: true,
  version(log) {
    const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
    if (
      !existsSync(APT_AWS) &&
      !process.env["AWS_CLI_BIN"] &&
      isRoot &&
      existsSync("/usr/bin/apt-get") &&
      !process.env["BENCH_NO_INSTALL"]
    ) {
      log("aws CLI missing: apt-get install awscli");
      const e = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
      let r = spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "awscli"], {
        env: e,
        stdio: "ignore",
      });
      if (r.status !== 0) {
        spawnSync("apt-get", ["update", "-qq"], { env: e, stdio: "ignore" });
        r = spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "awscli"], {
          env: e,
          stdio: "ignore",
        });
      }
      resolved = undefined;
    }
    const bin = awsBinary();
    if (!bin) return { unavailable: "no aws CLI (apt-get install awscli)" };
    const r = spawnSync(bin, ["--version"], { encoding: "utf8", env: cleanEnv({ AWS_PAGER: "" }) });
    const text = `${r.stdout}${r.stderr}`.trim().split("\n")[0] ?? "";
    return r.status === 0 ? { version: `${text} (${bin})` } : { unavailable: `${bin} --version failed: ${text}` };
  },
  publish(src: Source, target: PublishTarget, options: PublishOptions): Command {
    const args = [
      "s3",
      "sync",
      src.tree,
      peerUrl(src, target),
      "--delete",
      "--endpoint-url",
      target.endpoint,
      "--no-progress",
    ];
    return { cmd: awsBinary() ?? "aws", args, cwd: src.tree, env: env(target, options) };
  },
  startup(options: PublishOptions): Command {
    return { cmd: awsBinary() ?? "aws", args: ["--version"], cwd: options.scratch, env: env(null, options) };
  },
  parse(stdout: string): Outcome {
    // One line per operation: `upload: <path> to s3://...`, `delete: s3://...`.
    let uploaded = 0;
    let deleted = 0;
    for (const line of stdout.split("\n")) {
      if (line.startsWith("upload: ")) uploaded++;
      else if (line.startsWith("delete: ")) deleted++;
    }
    return { ...emptyOutcome(), uploaded, deleted };
  },
};
