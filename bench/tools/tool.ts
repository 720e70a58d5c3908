// A publisher under test. wspub is the first; rclone, s5cmd and the aws CLI are meant to be added
// as further implementations of this interface (tools/<name>.ts) and listed in tools/index.ts.

import type { S3Server } from "../server.ts";
import type { Workspace } from "../workspace.ts";

export interface Command {
  cmd: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface PublishTarget {
  server: S3Server;
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
  concurrency?: number;
  /** A scratch directory the tool may use for state (XDG dirs, config files). */
  scratch: string;
}

export interface Tool {
  name: string;
  /** A version string, or null with a reason when the tool cannot run here. */
  version(): { version: string } | { unavailable: string };
  /** Publishes the workspace's committed HEAD (or, for tools without git, its directory). */
  publish(ws: Workspace, target: PublishTarget, options: PublishOptions): Command;
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
