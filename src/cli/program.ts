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
    })
    .showHelpAfterError("(run wspub --help for usage)");
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
  if (e instanceof CommanderError) {
    const shown = ["commander.helpDisplayed", "commander.version", "commander.help"].includes(e.code);
    return shown ? ExitCode.ok : ExitCode.usage;
  }
  if (e instanceof WspubError) {
    rt.io.err(`wspub: error: ${e.message}`);
    if (rt.env["WSPUB_DEBUG"]) rt.io.err(String((e.cause as Error | undefined)?.stack ?? e.cause ?? ""));
    return e.exitCode;
  }
  rt.io.err(`wspub: internal error (please report it with this output): ${(e as Error).stack ?? String(e)}`);
  return ExitCode.failure;
}
