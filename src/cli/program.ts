import { Command, CommanderError } from "commander";
import { ExitCode, WspubError } from "../errors.js";
import { VERSION } from "../version.js";
import { addFilesCommand } from "./commands/files.js";
import { addHooksCommands } from "./commands/hooks.js";
import { addLsCommand } from "./commands/ls.js";
import { addPushCommand } from "./commands/push.js";
import { addRemoveCommands } from "./commands/remove.js";
import { addStatusCommand } from "./commands/status.js";
import { addUnlockCommand } from "./commands/unlock.js";
import { addVerifyCommand } from "./commands/verify.js";
import { addWatchCommand } from "./commands/watch.js";
import type { Runtime } from "./runtime.js";

/** The end of `wspub --help`: examples, exit codes, the environment. */
const HELP_AFTER = `
Examples:
  wspub push --target s3://workspaces/prod --endpoint http://minio:9000
  wspub push --dry-run                  what would be uploaded, copied and deleted
  wspub push --ref v1.4.2 --force       roll back to a tag
  wspub push --preview                  the current branch as <name>--<branch>
  wspub hooks install                   publish whenever a configured branch moves
  wspub verify --repair                 check the bucket against the manifest, fix drift
  wspub files --explain                 what is published, and why the rest is not

Exit codes:
  0 ok   1 failure (network, store, git; safe to retry)   2 bad input (fix it)
  3 refused on purpose (ordering guard, lock, delete guard)   4 verify found drift

Environment:
  WSPUB_TARGET, AWS_ENDPOINT_URL(_S3), AWS_REGION   where to publish (or --target, --endpoint, --region)
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_PROFILE   credentials (the standard AWS chain)
  WSPUB_CONCURRENCY, WSPUB_LAYOUT, WSPUB_ATOMIC, WSPUB_LFS, WSPUB_MAX_DELETE   settings (README: Configuration)
  WSPUB_MOUNT_RC, WSPUB_WEBHOOK_URL   whom to tell after a publish
  WSPUB_SKIP=1   hooks publish nothing;   WSPUB_DEBUG=1   errors show their cause
Config: wspub.config.json at the repository root. Docs: the README.`;

/**
 * The CLI: parses argv, runs the command, prints, and returns the exit code; it never exits the
 * process. Each command loads the library behind it on first use, so `wspub --version` and
 * `--help` load none of it.
 */
export async function main(rt: Runtime): Promise<number> {
  let code: number = ExitCode.ok;
  const setCode = (c: number) => {
    code = c;
  };
  const program = new Command("wspub")
    .description(
      "Publish the committed, filtered source of git workspaces to S3 (or a directory) as an exact, verifiable mirror.",
    )
    .version(VERSION, "-V, --version")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => rt.io.out(s.replace(/\n$/, "")),
      writeErr: (s) => rt.io.err(s.replace(/\n$/, "")),
      // commander's own errors read like wspub's: `wspub: error: unknown option '--x'`.
      outputError: (s, write) => write(`wspub: ${s}`),
    })
    .showHelpAfterError("(run wspub --help for usage)")
    .addHelpText("after", HELP_AFTER);
  for (const add of [
    addPushCommand,
    addVerifyCommand,
    addStatusCommand,
    addLsCommand,
    addFilesCommand,
    addUnlockCommand,
    addRemoveCommands,
  ]) {
    add(program, rt, setCode);
  }
  addWatchCommand(program, rt, setCode);
  addHooksCommands(program, rt, setCode);

  try {
    await program.parseAsync([...rt.argv], { from: "user" });
    return code;
  } catch (e) {
    return exitCodeOf(e, rt);
  }
}

/** The one catch of the CLI: a WspubError becomes its message and exit code; anything else is a bug to report. */
function exitCodeOf(e: unknown, rt: Runtime): number {
  // With --json, stdout is one JSON object even on failure (the human line stays on stderr).
  const json = (message: string, exitCode: number, code: string) => {
    if (rt.argv.includes("--json")) rt.io.out(JSON.stringify({ error: { message, exitCode, code } }));
    return exitCode;
  };
  if (e instanceof CommanderError) {
    const shown = ["commander.helpDisplayed", "commander.version", "commander.help"].includes(e.code);
    return shown ? ExitCode.ok : json(e.message.replace(/^error: /, ""), ExitCode.usage, "usage");
  }
  if (e instanceof WspubError) {
    rt.io.err(`wspub: error: ${e.message}`);
    json(e.message, e.exitCode, e.code);
    if (rt.env["WSPUB_DEBUG"]) rt.io.err(String((e.cause as Error | undefined)?.stack ?? e.cause ?? ""));
    return e.exitCode;
  }
  rt.io.err(`wspub: internal error (please report it with this output): ${(e as Error).stack ?? String(e)}`);
  return json(`internal error: ${(e as Error).message}`, ExitCode.failure, "internal");
}
