import type { Command } from "commander";
import { ExitCode } from "../../errors.js";
import { formatBackground, formatStatus } from "../format.js";
import { storeFlags, type StoreOpts, storeOptions } from "../options.js";
import { humanReporter, jsonReporter } from "../reporters.js";
import type { Runtime, SetExitCode } from "../runtime.js";

/** `wspub status [WORKSPACE]`. */
export function addStatusCommand(program: Command, rt: Runtime, setCode: SetExitCode): void {
  storeOptions(
    program
      .command("status")
      .description("the live commit of a workspace, and how far it is behind HEAD")
      .argument("[workspace]"),
  ).action(async (workspace: string | undefined, o: StoreOpts) => {
    const { workspaceStatus } = await import("../../app/status.js");
    const reporter = o.json ? jsonReporter(rt.io) : humanReporter(rt.io);
    const r = await workspaceStatus({ cwd: rt.cwd, env: rt.env, workspace, store: storeFlags(o), reporter });
    if ("failure" in r) {
      // The store may be what the background publisher tripped on: still show its log.
      if (r.background && !o.json) rt.io.out(formatBackground(r.background));
      throw r.failure;
    }
    const tree = r.workingTree;
    rt.io.out(
      o.json
        ? JSON.stringify({ ...r.status, background: r.background ?? null, workingTree: tree })
        : formatStatus(r.status, r.background, tree),
    );
    setCode(ExitCode.ok);
  });
}
