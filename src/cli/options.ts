import { type Command, InvalidArgumentError, Option } from "commander";
import type { StoreFlags } from "../config/settings.js";
import { CONCURRENCY } from "../limits.js";

/** The store options every command that opens a store takes, and --json. */
export interface StoreOpts extends StoreFlags {
  json?: boolean;
}

export function storeOptions(cmd: Command): Command {
  return cmd
    .option(
      "--target <url>",
      "s3://bucket[/prefix], file:///abs/dir or a directory (default: $WSPUB_TARGET, config, local store)",
    )
    .option("--endpoint <url>", "S3 endpoint (default: $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL, config)")
    .option("--region <region>", "S3 region (default: $AWS_REGION, config; us-east-1 with a custom endpoint)")
    .addOption(
      new Option("--concurrency <n>", `parallel requests (default ${CONCURRENCY.default})`).argParser(parseConcurrency),
    )
    .addOption(
      new Option(
        "--layout <style>",
        'how objects are laid out for the mount (default: $WSPUB_LAYOUT, config "layout", rclone)',
      ).choices(["rclone", "s3fs"]),
    )
    .option("--json", "print one JSON object on stdout");
}

/** Only the store flags of a command's options (commander gives every option in one object). */
export function storeFlags(o: StoreOpts): StoreFlags {
  return { target: o.target, endpoint: o.endpoint, region: o.region, concurrency: o.concurrency, layout: o.layout };
}

export function parseCount(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("give a whole number, 0 or more");
  return Number(value);
}

export function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError("give a number of seconds, 0 or more");
  return n;
}

function parseConcurrency(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < CONCURRENCY.min || n > CONCURRENCY.max) {
    throw new InvalidArgumentError(`give an integer from ${CONCURRENCY.min} to ${CONCURRENCY.max}`);
  }
  return n;
}
