import type { Command } from "commander";
import { ExitCode } from "../../errors.js";
import { formatUnlock } from "../format.js";
import { storeFlags, type StoreOpts, storeOptions } from "../options.js";
import { humanReporter, jsonReporter } from "../reporters.js";
import type { Runtime, SetExitCode } from "../runtime.js";

/** `wspub unlock [WORKSPACE]`: removes a lock whose holder is gone for good. */
export function addUnlockCommand(program: Command, rt: Runtime, setCode: SetExitCode): void {
  storeOptions(
    program
      .command("unlock")
      .description("remove a workspace's publish lock (when its holder is gone for good)")
      .argument("[workspace]"),
  ).action(async (workspace: string | undefined, o: StoreOpts) => {
    const { unlockWorkspace } = await import("../../app/unlock.js");
    const reporter = o.json ? jsonReporter(rt.io) : humanReporter(rt.io);
    const r = await unlockWorkspace({ cwd: rt.cwd, env: rt.env, workspace, store: storeFlags(o), reporter });
    rt.io.out(o.json ? JSON.stringify(r) : formatUnlock(r));
    setCode(ExitCode.ok);
  });
}
