import type { Command } from "commander";
import { ExitCode } from "../../errors.js";
import { formatFiles } from "../format.js";
import type { Runtime, SetExitCode } from "../runtime.js";

/** `wspub files [WORKSPACE] [--ref REF] [--explain]`: the publish set of a commit. */
export function addFilesCommand(program: Command, rt: Runtime, setCode: SetExitCode): void {
  program
    .command("files")
    .description(
      "the publish set of a commit; --explain lists every excluded tracked path and the rule that excluded it",
    )
    .argument("[workspace]")
    .option("--ref <ref>", "commit-ish", "HEAD")
    .option(
      "--explain",
      "also list excluded paths with the rule that excluded each, and the files a publish is refused for (credentials)",
    )
    .option("--json", "print one JSON object on stdout")
    .action(async (workspace: string | undefined, o: { ref: string; explain?: boolean; json?: boolean }) => {
      const { filesOf } = await import("../../app/files.js");
      // The credential scan reads every file: only when asked why (the plain list stays a listing).
      const r = await filesOf({ cwd: rt.cwd, workspace, ref: o.ref, env: rt.env, scan: o.explain ?? false });
      if (o.json)
        rt.io.out(JSON.stringify({ workspace: r.workspace, commit: r.commit, ...r.set, credentials: r.credentials }));
      else {
        const text = formatFiles(r.set, o.explain ?? false, r.credentials);
        if (text) rt.io.out(text);
      }
      setCode(ExitCode.ok);
    });
}
