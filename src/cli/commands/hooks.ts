import type { Command } from "commander";
import { ExitCode } from "../../errors.js";
import { HOOK_NAMES, type HookName } from "../../hooks/script.js";
import { formatHooksReport, formatHooksStatus } from "../format.js";
import type { Runtime, SetExitCode } from "../runtime.js";

interface Which {
  postCommit?: boolean;
  prePush?: boolean;
}

const chosen = (o: Which): HookName[] => {
  const picked = HOOK_NAMES.filter((h) => (h === "post-commit" ? o.postCommit : o.prePush));
  return picked.length > 0 ? picked : [...HOOK_NAMES];
};

/** The environment variable that turns the hooks off here, if one is set. */
const optOut = (env: NodeJS.ProcessEnv) =>
  env["WSPUB_SKIP"] === "1" ? "WSPUB_SKIP=1" : env["HUSKY"] === "0" ? "HUSKY=0" : null;

/** `wspub hooks install|uninstall|status`, and the hidden `hooks run` the hooks themselves start. */
export function addHooksCommands(program: Command, rt: Runtime, setCode: SetExitCode): void {
  const hooks = program
    .command("hooks")
    .description("publish on commit and push: git hooks (plain, core.hooksPath or husky)");
  hooks
    .command("install")
    .description("install the post-commit and pre-push hooks (both unless one is named)")
    .option("--post-commit", "install the post-commit hook")
    .option("--pre-push", "install the pre-push hook")
    .action(async (o: Which) => {
      const { installRepositoryHooks } = await import("../../app/hooks.js");
      rt.io.out(formatHooksReport(await installRepositoryHooks(rt.cwd, chosen(o), rt.launcher ?? {})));
      setCode(ExitCode.ok);
    });
  hooks
    .command("uninstall")
    .description("remove wspub's hooks, restoring any hook they chained to")
    .option("--post-commit", "remove the post-commit hook")
    .option("--pre-push", "remove the pre-push hook")
    .action(async (o: Which) => {
      const { uninstallRepositoryHooks } = await import("../../app/hooks.js");
      rt.io.out(formatHooksReport(await uninstallRepositoryHooks(rt.cwd, chosen(o))));
      setCode(ExitCode.ok);
    });
  hooks
    .command("status")
    .description("where the hooks are, whether they are installed, and the last background publish")
    .option("--json", "print one JSON object on stdout")
    .action(async (o: { json?: boolean }) => {
      const { repositoryHooksStatus } = await import("../../app/hooks.js");
      const { background, ...s } = await repositoryHooksStatus(rt.cwd, HOOK_NAMES);
      const off = optOut(rt.env);
      if (o.json) rt.io.out(JSON.stringify({ ...s, optOut: off, background: background ?? null }));
      else rt.io.out(formatHooksStatus(s, off, background));
      setCode(ExitCode.ok);
    });
  hooks
    .command("run", { hidden: true })
    .description("the background half of a hook (started by the hook itself)")
    .argument("<hook>", "post-commit or pre-push")
    .option("--updates <text>", "pre-push: the hook's standard input")
    .action(async (hook: string, o: { updates?: string }) => {
      if (hook !== "post-commit" && hook !== "pre-push") return setCode(ExitCode.usage);
      const { runHookWorker } = await import("../../app/hook-worker.js");
      await runHookWorker({ cwd: rt.cwd, env: rt.env, hook, updates: o.updates });
      setCode(ExitCode.ok);
    });
}
