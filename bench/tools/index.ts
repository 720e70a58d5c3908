import { awsSync } from "./aws.ts";
import { rcloneChecksum, rcloneDefault } from "./rclone.ts";
import { s5cmd } from "./s5cmd.ts";
import type { Tool } from "./tool.ts";
import { wspub } from "./wspub.ts";

/** Every publisher the benchmark knows, by name (`--tools a,b`), in report order. */
export const TOOLS: Record<string, Tool> = {
  wspub,
  "rclone-checksum": rcloneChecksum,
  rclone: rcloneDefault,
  s5cmd,
  aws: awsSync,
};
