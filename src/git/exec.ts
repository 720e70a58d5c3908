import { execa } from "execa";
import { gitFailure } from "../errors.js";

/**
 * The one place wspub runs git. Fixed global flags keep output machine-readable and stop git
 * from taking optional locks (wspub runs from hooks while the user's git is busy).
 */
export const GIT_GLOBAL_ARGS = ["-c", "core.quotePath=false", "-c", "color.ui=false"];
export const GIT_ENV = { GIT_OPTIONAL_LOCKS: "0", GIT_TERMINAL_PROMPT: "0", GIT_LITERAL_PATHSPECS: "1", LC_ALL: "C" };

export interface GitResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Runs git; throws a GitError carrying stderr unless `allowFailure` is set. */
export async function git(
  cwd: string,
  args: readonly string[],
  options: { allowFailure?: boolean; input?: string } = {},
): Promise<GitResult> {
  let result;
  try {
    result = await execa("git", [...GIT_GLOBAL_ARGS, ...args], {
      cwd,
      env: GIT_ENV,
      reject: false,
      stripFinalNewline: false,
      ...(options.input === undefined ? {} : { input: options.input }),
    });
  } catch (cause) {
    throw gitFailure(`could not run git (is it installed and on PATH?)`, cause);
  }
  if (result.failed && result.exitCode === undefined) {
    throw gitFailure(`could not run git ${args[0] ?? ""}: ${result.shortMessage}`, result);
  }
  const out = { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? 1 };
  if (out.exitCode !== 0 && !options.allowFailure) {
    throw gitFailure(`git ${args.join(" ")} failed: ${out.stderr.trim() || `exit ${out.exitCode}`}`);
  }
  return out;
}
