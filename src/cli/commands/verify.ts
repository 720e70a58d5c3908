import type { Command } from "commander";
import { ExitCode } from "../../errors.js";
import { formatRepaired, formatVerify } from "../format.js";
import { storeFlags, type StoreOpts, storeOptions } from "../options.js";
import { humanReporter, jsonReporter } from "../reporters.js";
import type { Runtime, SetExitCode } from "../runtime.js";

/** `wspub verify [WORKSPACE] [--deep] [--repair]`: exit 0 when the bucket matches the manifest, 4 on drift. */
export function addVerifyCommand(program: Command, rt: Runtime, setCode: SetExitCode): void {
  storeOptions(
    program
      .command("verify")
      .description("check that the target holds exactly the live manifest's objects")
      .argument("[workspace]")
      .option("--deep", "read every object and compare SHA-256 (default: trust MD5 ETags where the server has them)")
      .option("--repair", "restore missing and changed objects from git and delete unexpected ones, then verify again"),
  ).action(async (workspace: string | undefined, o: StoreOpts & { deep?: boolean; repair?: boolean }) => {
    const { verifyWorkspace } = await import("../../app/verify.js");
    const reporter = o.json ? jsonReporter(rt.io) : humanReporter(rt.io);
    const { result, repaired } = await verifyWorkspace({
      cwd: rt.cwd,
      env: rt.env,
      workspace,
      store: storeFlags(o),
      reporter,
      deep: o.deep ?? false,
      repair: o.repair ?? false,
    });
    if (o.json) rt.io.out(JSON.stringify({ ...result, repaired }));
    else {
      if (repaired) rt.io.out(formatRepaired(repaired));
      rt.io.out(formatVerify(result));
    }
    setCode(result.ok ? ExitCode.ok : ExitCode.drift);
  });
}
