import type { Command } from "commander";
import { openGit } from "../../git/cli-git.js";
import { ExitCode } from "../../errors.js";
import { HOOK_NAMES, type HookName } from "../../hooks/script.js";
import { hooksStatus, installHooks, uninstallHooks, type HooksReport } from "../../hooks/install.js";
import { locateHooks } from "../../hooks/locate.js";
import { readBackground } from "../../hooks/state.js";
import { guard, type Runtime } from "../program.js";

const chosen = (o: { postCommit?: boolean; prePush?: boolean }): HookName[] => {
  const picked = HOOK_NAMES.filter((h) => (h === "post-commit" ? o.postCommit : o.prePush));
  return picked.length > 0 ? picked : [...HOOK_NAMES];
};

function describe(report: HooksReport): string {
  const where = report.location.kind === "husky" ? `husky (${report.location.dir})` : report.location.dir;
  const lines = [`hooks directory: ${where}`];
  for (const h of report.hooks)
    lines.push(`  ${h.hook}: ${h.change}${h.change === "chained" ? " (your existing hook still runs first)" : ""}`);
  if (report.location.kind === "husky" && !report.location.active)
    lines.push(`  note: husky is not set up in this clone yet (run npm install, or npx husky)`);
  return lines.join("\n");
}

/** `wspub hooks install|uninstall|status|run`. */
export function addHooksCommands(program: Command, rt: Runtime, setCode: (code: number) => void): void {
  const hooks = program
    .command("hooks")
    .description("publish on commit and push: git hooks (plain, core.hooksPath or husky)");
  const root = async () => {
    const g = await openGit(rt.cwd);
    await g.close();
    return g.root;
  };
  hooks
    .command("install")
    .description("install the post-commit and pre-push hooks (both unless one is named)")
    .option("--post-commit", "install the post-commit hook")
    .option("--pre-push", "install the pre-push hook")
    .action(async (o: { postCommit?: boolean; prePush?: boolean }) => {
      setCode(
        await guard(rt, async () => {
          const dir = await root();
          // A husky hook file is committed and shared: it must not name this machine's node.
          const launcher = (await locateHooks(dir)).kind === "husky" ? {} : (rt.launcher ?? {});
          rt.io.out(describe(await installHooks(dir, chosen(o), launcher)));
          return ExitCode.ok;
        }),
      );
    });
  hooks
    .command("uninstall")
    .description("remove wspub's hooks, restoring any hook they chained to")
    .option("--post-commit")
    .option("--pre-push")
    .action(async (o: { postCommit?: boolean; prePush?: boolean }) => {
      setCode(
        await guard(rt, async () => {
          rt.io.out(describe(await uninstallHooks(await root(), chosen(o))));
          return ExitCode.ok;
        }),
      );
    });
  hooks
    .command("status")
    .description("where the hooks are, whether they are installed, and the last background publish")
    .option("--json", "print one JSON object on stdout")
    .action(async (o: { json?: boolean }) => {
      setCode(
        await guard(rt, async () => {
          const dir = await root();
          const s = await hooksStatus(dir, HOOK_NAMES);
          const background = await readBackground(dir);
          const optOut = rt.env["WSPUB_SKIP"] === "1" ? "WSPUB_SKIP=1" : rt.env["HUSKY"] === "0" ? "HUSKY=0" : null;
          if (o.json) rt.io.out(JSON.stringify({ ...s, optOut, background: background ?? null }));
          else {
            const lines = [
              `hooks directory: ${s.location.kind === "husky" ? `husky (${s.location.dir})` : s.location.dir}`,
            ];
            for (const h of s.hooks)
              lines.push(
                `  ${h.hook}: ${h.installed ? "installed" : "not installed"}${h.chained ? ", chained to your hook" : ""}`,
              );
            if (optOut) lines.push(`  ${optOut} is set: hooks do nothing in this environment`);
            if (background) lines.push(`  log: ${background.log}`, ...background.tail.map((l) => `    ${l}`));
            rt.io.out(lines.join("\n"));
          }
          return ExitCode.ok;
        }),
      );
    });
  hooks
    .command("run", { hidden: true })
    .description("the background half of a hook (started by the hook itself)")
    .argument("<hook>", "post-commit or pre-push")
    .option("--updates <text>", "pre-push: the hook's standard input")
    .action(async (hook: string, o: { updates?: string }) => {
      setCode(
        await guard(rt, async () => {
          if (hook !== "post-commit" && hook !== "pre-push") return ExitCode.usage;
          const { runHookWorker } = await import("../../app/hook-worker.js");
          await runHookWorker({ cwd: rt.cwd, env: rt.env, hook, updates: o.updates });
          return ExitCode.ok;
        }),
      );
    });
}
