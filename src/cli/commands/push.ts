import { type Command, Option } from "commander";
import { ExitCode } from "../../errors.js";
import { formatChanges, formatPublish, formatStored, formatVisibility } from "../format.js";
import { parseCount, parseSeconds, storeFlags, type StoreOpts, storeOptions } from "../options.js";
import { humanReporter, jsonReporter } from "../reporters.js";
import type { Runtime, SetExitCode } from "../runtime.js";

interface PushOpts extends StoreOpts {
  ref: string;
  all?: boolean;
  dryRun?: boolean;
  force?: boolean;
  lockWait?: number;
  unsafeNoLock?: boolean;
  mountRc?: string[];
  webhook?: string;
  notify: boolean;
  atomic?: boolean;
  maxDelete?: number;
  preview?: boolean;
}

/** `wspub push [WORKSPACE]`. */
export function addPushCommand(program: Command, rt: Runtime, setCode: SetExitCode): void {
  const repeatable = (v: string, all: string[] | undefined) => [...(all ?? []), v];
  const lockWait = new Option(
    "--lock-wait <seconds>",
    "wait this long for a lock another publisher holds (default 300; 0: fail at once)",
  ).argParser(parseSeconds);
  storeOptions(
    program
      .command("push")
      .description("publish a commit of a workspace")
      .argument("[workspace]", "configured name or directory (default: the current repository)")
      .option("--ref <ref>", "commit-ish to publish", "HEAD")
      .option("--all", "publish every configured workspace")
      .option("--dry-run", "show what would change, write nothing")
      .option(
        "--mount-rc <url>",
        "rclone mount remote control to refresh after the publish, repeatable (default: $WSPUB_MOUNT_RC, config " +
          '"mounts")',
        repeatable,
      )
      .option(
        "--webhook <url>",
        'POST the publish summary as JSON here (default: $WSPUB_WEBHOOK_URL, config "webhook")',
      )
      .option("--no-notify", "neither refresh mounts nor call the webhook")
      .option(
        "--force",
        "replace a live commit that is not an ancestor (rollback, other history), delete past the guard",
      )
      .addOption(
        new Option(
          "--max-delete <n>",
          'refuse a publish that deletes more objects (default: $WSPUB_MAX_DELETE, config "maxDelete", more than ' +
            "half of the live files and more than 100)",
        ).argParser(parseCount),
      )
      .option(
        "--preview",
        "publish the branch (--ref's, else the current one) as the workspace's preview, e.g. app--feature-x",
      )
      .option("--atomic", 'publish through a link to one of two trees (default: $WSPUB_ATOMIC=1, config "atomic")')
      .option("--no-atomic", "publish in place (leaves atomic mode when the workspace is in it)")
      .addOption(lockWait)
      .option(
        "--unsafe-no-lock",
        "publish without the workspace lock (servers without conditional writes; one publisher only)",
      ),
  ).action(async (workspace: string | undefined, o: PushOpts) => {
    const { pushWorkspaces } = await import("../../app/push.js");
    const reporter = o.json ? jsonReporter(rt.io) : humanReporter(rt.io);
    try {
      const results = await pushWorkspaces({
        cwd: rt.cwd,
        env: rt.env,
        workspace,
        all: o.all,
        ref: o.ref,
        force: o.force,
        dryRun: o.dryRun,
        maxDelete: o.maxDelete,
        preview: o.preview ? true : undefined,
        interactive: true,
        atomic: o.atomic,
        lock: o.unsafeNoLock ? false : undefined,
        lockWaitMs: o.lockWait === undefined ? undefined : o.lockWait * 1000,
        store: storeFlags(o),
        reporter,
        notify: { mountRc: o.mountRc, webhook: o.webhook, notify: o.notify },
        onResult: (r, where) => {
          reporter.stop();
          if (o.json) return;
          rt.io.out(formatPublish(r, where));
          const changes = r.dryRun ? formatChanges(r) : "";
          if (changes) rt.io.out(changes);
          if (r.visibility) rt.io.out(formatVisibility(r.visibility));
          if (r.workingTree) rt.io.out(formatStored(r.bytes ?? 0, r.workingTree));
        },
      });
      if (o.json) rt.io.out(JSON.stringify(o.all ? { workspaces: results } : results[0]));
    } finally {
      reporter.stop();
    }
    setCode(ExitCode.ok);
  });
}
