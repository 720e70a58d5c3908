// A publisher under test: wspub (tools/wspub.ts) and its peers rclone, s5cmd and the aws CLI
// (tools/rclone.ts, s5cmd.ts, aws.ts), listed in tools/index.ts.
//
// wspub reads the commit from the git repository; a peer syncs a directory that holds exactly the
// publish set of that commit (Source.tree, kept up to date by bench/mirror.ts). Both end up with
// the same objects under <bucket>/<prefix>/<name>/.

import type { S3Server } from "../server.ts";

export interface Command {
  cmd: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface Source {
  /** The git workspace (its committed HEAD is what wspub publishes). */
  repo: string;
  /** A directory holding exactly the publish set of HEAD: what a peer syncs. */
  tree: string;
  /** The workspace's name: keys are <prefix>/<name>/<path>. */
  name: string;
}

export interface PublishTarget {
  server: S3Server;
  /** The S3 endpoint to use: the server's, or the counting proxy's in front of it. */
  endpoint: string;
  bucket: string;
  /** Key prefix without leading/trailing slash. */
  prefix: string;
}

/** What a tool reports about one publish; fields a tool does not report are null. */
export interface Outcome {
  files: number | null;
  uploaded: number | null;
  copied: number | null;
  deleted: number | null;
  unchanged: number | null;
  bytesUploaded: number | null;
  /** The tool's own measure of the publish, without process start-up. */
  internalMs: number | null;
}

export interface PublishOptions {
  /** The same for every tool: wspub --concurrency, rclone --transfers/--checkers, s5cmd --numworkers, aws max_concurrent_requests. */
  concurrency: number;
  /** A scratch directory the tool may use for state (XDG dirs, config files). */
  scratch: string;
}

export interface Tool {
  name: string;
  /** One line: the command and mode, for the report. */
  describe: string;
  /** false for wspub, true for the tools it is compared with. */
  peer: boolean;
  /** A version string, or a reason why the tool cannot run here. May install the tool (see each adapter). */
  version(log: (s: string) => void): { version: string } | { unavailable: string };
  /** Publishes the source's HEAD (wspub) or its tree (peers) to the target. */
  publish(src: Source, target: PublishTarget, options: PublishOptions): Command;
  /** Process start-up alone (e.g. --version). */
  startup?(options: PublishOptions): Command;
  /** Reads the outcome from a successful run's output. */
  parse(stdout: string, stderr: string): Outcome;
}

export const emptyOutcome = (): Outcome => ({
  files: null,
  uploaded: null,
  copied: null,
  deleted: null,
  unchanged: null,
  bytesUploaded: null,
  internalMs: null,
});

/** `s3://bucket/prefix/name/` for a peer; the trailing slash makes it a "directory". */
export const peerUrl = (src: Source, t: PublishTarget) =>
  `s3://${t.bucket}/${t.prefix ? `${t.prefix}/` : ""}${src.name}/`;
