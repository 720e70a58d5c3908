import type { Command } from "commander";
import { ExitCode } from "../../errors.js";
import { targetFields } from "../../store/target.js";
import { formatList } from "../format.js";
import { storeFlags, type StoreOpts, storeOptions } from "../options.js";
import { humanReporter, jsonReporter } from "../reporters.js";
import type { Runtime, SetExitCode } from "../runtime.js";

/** `wspub ls`: the workspaces published at a target. */
export function addLsCommand(program: Command, rt: Runtime, setCode: SetExitCode): void {
  storeOptions(program.command("ls").description("list the workspaces published at a target")).action(
    async (o: StoreOpts) => {
      const { listTarget } = await import("../../app/list.js");
      const reporter = o.json ? jsonReporter(rt.io) : humanReporter(rt.io);
      const { target, workspaces } = await listTarget({ cwd: rt.cwd, env: rt.env, store: storeFlags(o), reporter });
      rt.io.out(o.json ? JSON.stringify({ ...targetFields(target), workspaces }) : formatList(workspaces, target));
      setCode(ExitCode.ok);
    },
  );
}
