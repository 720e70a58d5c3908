import type { Command } from "commander";
import { ExitCode } from "../../errors.js";
import type { HookGroup } from "../../hooks/install.js";
import { HOOK_NAMES, type HookName } from "../../hooks/script.js";
import { formatHooksReport, formatHooksStatus } from "../format.js";
import type { Runtime, SetExitCode } from "../runtime.js";

interface Which {
  postCommit?: boolean;
  prePush?: boolean;
}

/** `--post-commit` names the hooks that publish local branch moves (it was the post-commit hook once). */
const chosen = (o: Which): HookGroup[] => {
  const picked: HookGroup[] = [
    ...(o.postCommit ? (["moves"] as const) : []),
    ...(o.prePush ? (["push"] as const) : []),
  ];
  return picked.length > 0 ? picked : ["moves", "push"];
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
    .description(
      "publish whenever a configured branch moves (commit, merge, pull, reset, rebase...) and on push; " +
        "run again to upgrade an older installation",
    )
    .option("--post-commit", "only the hooks that publish local branch moves (reference-transaction, or the fallbacks)")
    .option("--pre-push", "only the pre-push hook")
    .action(async (o: Which) => {
      const { installRepositoryHooks } = await import("../../app/hooks.js");
      rt.io.out(formatHooksReport(await installRepositoryHooks(rt.cwd, chosen(o), rt.launcher ?? {})));
      setCode(ExitCode.ok);
    });
  hooks
    .command("uninstall")
    .description("remove wspub's hooks, restoring any hook they chained to")
    .option("--post-commit", "only the hooks that publish local branch moves")
    .option("--pre-push", "only the pre-push hook")
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
      const { background, ...s } = await repositoryHooksStatus(rt.cwd);
      const off = optOut(rt.env);
      if (o.json) rt.io.out(JSON.stringify({ ...s, optOut: off, background: background ?? null }));
      else rt.io.out(formatHooksStatus(s, off, background));
      setCode(ExitCode.ok);
    });
  hooks
    .command("run", { hidden: true })
    .description("the background half of a hook (started by the hook itself)")
    .argument("<hook>", "post-commit or pre-push")
    .option("--updates <text>", "reference-transaction, pre-push: the lines git gave the hook")
    .option("--at <seconds>", "when git ran the hook (Unix seconds)")
    .action(async (hook: string, o: { updates?: string; at?: string }) => {
      if (!(HOOK_NAMES as readonly string[]).includes(hook)) return setCode(ExitCode.usage);
      const { runHookWorker } = await import("../../app/hook-worker.js");
      const at = o.at !== undefined && /^\d+$/.test(o.at) ? Number(o.at) * 1000 : undefined;
      await runHookWorker({ cwd: rt.cwd, env: rt.env, hook: hook as HookName, updates: o.updates, at });
      setCode(ExitCode.ok);
    });
}
