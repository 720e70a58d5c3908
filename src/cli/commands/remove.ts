import type { Command } from "commander";
import { ExitCode } from "../../errors.js";
import { targetFields } from "../../store/target.js";
import { formatPrune, formatRemoved } from "../format.js";
import { storeFlags, type StoreOpts, storeOptions } from "../options.js";
import { humanReporter, jsonReporter } from "../reporters.js";
import type { Runtime, SetExitCode } from "../runtime.js";

interface RemoveOpts extends StoreOpts {
  dryRun?: boolean;
}

/** `wspub delete WORKSPACE` and `wspub prune`: removing published workspaces. */
export function addRemoveCommands(program: Command, rt: Runtime, setCode: SetExitCode): void {
  storeOptions(
    program
      .command("delete")
      .description("remove one published workspace: all its objects and records, under its lock")
      .argument("<workspace>", "its name at the target (as wspub ls shows it)")
      .option("--dry-run", "say what would be removed, remove nothing"),
  ).action(async (workspace: string, o: RemoveOpts) => {
    const { deleteWorkspace } = await import("../../app/remove.js");
    const reporter = o.json ? jsonReporter(rt.io) : humanReporter(rt.io);
    const r = await deleteWorkspace({ ...common(rt, o, reporter), workspace });
    const { target, ...removed } = r;
    rt.io.out(o.json ? JSON.stringify({ ...targetFields(target), ...removed }) : formatRemoved(removed, o.dryRun));
    setCode(ExitCode.ok);
  });
  storeOptions(
    program
      .command("prune")
      .description("remove the previews of this repository's workspaces whose branch no longer exists")
      .option("--dry-run", "say which previews would be removed, remove nothing"),
  ).action(async (o: RemoveOpts) => {
    const { prunePreviews } = await import("../../app/remove.js");
    const reporter = o.json ? jsonReporter(rt.io) : humanReporter(rt.io);
    const { target, pruned } = await prunePreviews(common(rt, o, reporter));
    rt.io.out(o.json ? JSON.stringify({ ...targetFields(target), pruned }) : formatPrune(pruned, o.dryRun));
    setCode(ExitCode.ok);
  });
}

const common = (rt: Runtime, o: RemoveOpts, reporter: ReturnType<typeof humanReporter>) => ({
  cwd: rt.cwd,
  env: rt.env,
  store: storeFlags(o),
  reporter,
  dryRun: o.dryRun,
});
