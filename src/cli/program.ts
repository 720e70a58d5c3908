import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import type { StoreFlags, StoreSettings } from "../config/settings.js";
import { ExitCode, WspubError } from "../errors.js";
import type { RepairResult } from "../inspect/repair.js";
import type { ObjectStore } from "../store/port.js";
import type { WorkspaceContext } from "../workspace/resolve.js";
import { formatBackground, formatFiles, formatList, formatPublish, formatStatus, formatVerify } from "./format.js";
import { humanReporter, jsonReporter, type Output } from "./reporters.js";
import { VERSION } from "../version.js";
import { addHooksCommands } from "./commands/hooks.js";
import { formatVisibility } from "../notify/visibility.js";
import { readBackground } from "../hooks/state.js";
import type { Launcher } from "../hooks/script.js";

/** The library behind the commands, loaded on first use: `wspub --version` and `--help` need none of it. */
const heavy = () => import("./heavy.js");

export interface Runtime {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  io: Output;
  /** How installed hooks start this CLI again: the node binary and entry script running now. */
  launcher?: Launcher;
}

interface StoreOpts extends StoreFlags {
  json?: boolean;
}

/** push: --mount-rc (repeatable), --webhook, --no-notify. */
interface NotifyOpts {
  mountRc: string[];
  webhook?: string;
  notify: boolean;
}

/** The CLI: parses argv, calls the library, prints, and returns the exit code. It never exits the process. */
export async function main(rt: Runtime): Promise<number> {
  let code: number = ExitCode.ok;
  const program = new Command("wspub")
    .description(
      "Publish the committed, filtered source of git workspaces to S3 (or a directory) as an exact, verifiable mirror.",
    )
    .version(VERSION, "-V, --version")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => rt.io.out(s.replace(/\n$/, "")),
      writeErr: (s) => rt.io.err(s.replace(/\n$/, "")),
    })
    .showHelpAfterError("(run wspub --help for usage)");

  const storeOptions = (cmd: Command) =>
    cmd
      .option(
        "--target <url>",
        "s3://bucket[/prefix], file:///abs/dir or a directory (default: $WSPUB_TARGET, config, local store)",
      )
      .option("--endpoint <url>", "S3 endpoint (default: $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL, config)")
      .option("--region <region>", "S3 region (default: $AWS_REGION, config; us-east-1 with a custom endpoint)")
      .addOption(new Option("--concurrency <n>", "parallel requests (default 16)").argParser(parseCount))
      .option("--json", "print one JSON object on stdout");

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
        'rclone mount remote control to refresh after the publish, repeatable (default: $WSPUB_MOUNT_RC, config "mounts")',
        (v: string, all: string[]) => [...all, v],
        [] as string[],
      )
      .option(
        "--webhook <url>",
        'POST the publish summary as JSON here (default: $WSPUB_WEBHOOK_URL, config "webhook")',
      )
      .option("--no-notify", "neither refresh mounts nor call the webhook")
      .option("--force", "replace a live commit that is not an ancestor (rollback, other history)")
      .addOption(
        new Option(
          "--lock-wait <seconds>",
          "wait this long for a lock another publisher holds (default 300; 0: fail at once)",
        ).argParser(parseSeconds),
      )
      .option(
        "--unsafe-no-lock",
        "publish without the workspace lock (servers without conditional writes; one publisher only)",
      ),
  ).action(
    async (
      ws: string | undefined,
      o: StoreOpts &
        NotifyOpts & {
          ref: string;
          all?: boolean;
          dryRun?: boolean;
          force?: boolean;
          lockWait?: number;
          unsafeNoLock?: boolean;
        },
    ) => {
      code = await guard(rt, async () => {
        const reporter = o.json ? jsonReporter(rt.io) : humanReporter(rt.io);
        try {
          const results = await (await heavy()).pushWorkspaces({
            cwd: rt.cwd,
            env: rt.env,
            workspace: ws,
            all: o.all,
            ref: o.ref,
            force: o.force,
            dryRun: o.dryRun,
            lock: o.unsafeNoLock ? false : undefined,
            lockWaitMs: o.lockWait === undefined ? undefined : o.lockWait * 1000,
            store: o,
            reporter,
            notify: { mountRc: o.mountRc, webhook: o.webhook, notify: o.notify },
            onResult: (r, where) => {
              reporter.stop();
              if (!o.json) rt.io.out(formatPublish(r, where));
              if (!o.json && r.visibility) rt.io.out(formatVisibility(r.visibility));
            },
          });
          if (o.json) rt.io.out(JSON.stringify(o.all ? { workspaces: results } : results[0]));
        } finally {
          reporter.stop();
        }
        return ExitCode.ok;
      });
    },
  );

  storeOptions(
    program
      .command("verify")
      .description("check that the target holds exactly the live manifest's objects")
      .argument("[workspace]")
      .option("--deep", "read every object and compare SHA-256 (default: trust MD5 ETags where the server has them)")
      .option("--repair", "restore missing and changed objects from git and delete unexpected ones, then verify again"),
  ).action(async (ws: string | undefined, o: StoreOpts & { deep?: boolean; repair?: boolean }) => {
    code = await withContext(rt, ws, o, async (ctx, settings, store) => {
      const layout = new (await heavy()).Layout(settings.target.prefix, ctx.workspaces[0]!.name);
      const options = { deep: o.deep ?? false, concurrency: settings.concurrency };
      let r = await (await heavy()).verify(store, layout, options);
      let repaired: RepairResult | null = null;
      if (!r.ok && o.repair) {
        const reporter = o.json ? jsonReporter(rt.io) : humanReporter(rt.io);
        repaired = await (await heavy()).repair(
          {
            git: ctx.git,
            store,
            layout,
            reporter,
            env: rt.env,
            concurrency: settings.concurrency,
            holder: (await heavy()).defaultActor(rt.env),
          },
          r,
        );
        if (!o.json)
          rt.io.out(
            `repaired: ${repaired.rewritten} object(s) rewritten from git, ${repaired.deleted} unexpected object(s) deleted`,
          );
        r = await (await heavy()).verify(store, layout, options);
      }
      rt.io.out(o.json ? JSON.stringify({ ...r, repaired }) : formatVerify(r));
      return r.ok ? ExitCode.ok : ExitCode.drift;
    });
  });

  storeOptions(
    program
      .command("status")
      .description("the live commit of a workspace, and how far it is behind HEAD")
      .argument("[workspace]"),
  ).action(async (ws: string | undefined, o: StoreOpts) => {
    code = await withContext(rt, ws, o, async (ctx, settings, store) => {
      const background = await readBackground(ctx.git.root);
      const s = await (await heavy())
        .status(store, new (await heavy()).Layout(settings.target.prefix, ctx.workspaces[0]!.name), ctx.git)
        .catch((e: unknown) => {
          // The store may be what the background publisher tripped on: still show its log.
          if (background && !o.json) rt.io.out(formatBackground(background));
          throw e;
        });
      rt.io.out(o.json ? JSON.stringify({ ...s, background: background ?? null }) : formatStatus(s, background));
      return ExitCode.ok;
    });
  });

  storeOptions(program.command("ls").description("list the workspaces published at a target")).action(
    async (o: StoreOpts) => {
      code = await guard(rt, async () => {
        let config = {};
        let repoRoot = rt.cwd;
        const git = await (await heavy()).openGit(rt.cwd).catch(() => undefined);
        if (git) {
          repoRoot = git.root;
          config = (await (await heavy()).loadConfig(git.root)).config;
          await git.close();
        }
        const settings = (await heavy()).resolveStoreSettings(o, rt.env, config, { cwd: rt.cwd, repoRoot });
        const store = await (await heavy()).openStore(settings, rt.env);
        try {
          const rows = await (await heavy()).listWorkspaces(store, settings.target.prefix, settings.concurrency);
          rt.io.out(
            o.json
              ? JSON.stringify({ target: store.description, workspaces: rows })
              : formatList(rows, store.description),
          );
        } finally {
          store.close();
        }
        return ExitCode.ok;
      });
    },
  );

  program
    .command("files")
    .description(
      "the publish set of a commit; --explain lists every excluded tracked path and the rule that excluded it",
    )
    .argument("[workspace]")
    .option("--ref <ref>", "commit-ish", "HEAD")
    .option("--explain", "also list excluded paths with the rule that excluded each")
    .option("--json", "print one JSON object on stdout")
    .action(async (ws: string | undefined, o: { ref: string; explain?: boolean; json?: boolean }) => {
      code = await guard(rt, async () => {
        const ctx = await (await heavy()).resolveWorkspaces(ws, { cwd: rt.cwd });
        try {
          const w = ctx.workspaces[0]!;
          const commit = await ctx.git.resolveCommit(o.ref);
          const set = await (await heavy()).buildPublishSet(
            ctx.git,
            commit.oid,
            w.dir,
            ctx.loaded.config.exclude ?? [],
          );
          if (o.json) rt.io.out(JSON.stringify({ workspace: w.name, commit: commit.oid, ...set }));
          else {
            const text = formatFiles(set, o.explain ?? false);
            if (text) rt.io.out(text);
          }
        } finally {
          await ctx.git.close();
        }
        return ExitCode.ok;
      });
    });

  storeOptions(
    program
      .command("unlock")
      .description("remove a workspace's publish lock (when its holder is gone for good)")
      .argument("[workspace]"),
  ).action(async (ws: string | undefined, o: StoreOpts) => {
    code = await withContext(rt, ws, o, async (ctx, settings, store) => {
      const layout = new (await heavy()).Layout(settings.target.prefix, ctx.workspaces[0]!.name);
      const lock = await (await heavy()).readLock(store, layout);
      if (!lock) {
        rt.io.out(
          o.json
            ? JSON.stringify({ workspace: layout.workspace, removed: null })
            : `${layout.workspace}: no publish lock is held`,
        );
        return ExitCode.ok;
      }
      await store.deleteMany([`${layout.metaPrefix}lock.json`]);
      rt.io.out(
        o.json
          ? JSON.stringify({ workspace: layout.workspace, removed: lock.text })
          : `${layout.workspace}: removed the publish lock held by ${lock.text}`,
      );
      return ExitCode.ok;
    });
  });

  addHooksCommands(program, rt, (c) => (code = c));

  try {
    await program.parseAsync([...rt.argv], { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help")
        return ExitCode.ok;
      return ExitCode.usage;
    }
    throw e;
  }
  return code;
}

async function withContext(
  rt: Runtime,
  ws: string | undefined,
  o: StoreOpts,
  fn: (ctx: WorkspaceContext, settings: StoreSettings, store: ObjectStore) => Promise<number>,
): Promise<number> {
  const reporter = o.json ? jsonReporter(rt.io) : humanReporter(rt.io);
  return guard(rt, async () =>
    (await heavy()).withStore({ cwd: rt.cwd, env: rt.env, store: o, reporter }, { workspace: ws }, fn),
  );
}

/** The one catch of the CLI: a WspubError becomes its message and exit code; anything else is a bug to report. */
export async function guard(rt: Runtime, fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof WspubError) {
      rt.io.err(`wspub: error: ${e.message}`);
      if (rt.env["WSPUB_DEBUG"]) rt.io.err(String((e.cause as Error | undefined)?.stack ?? e.cause ?? ""));
      return e.exitCode;
    }
    rt.io.err(`wspub: internal error (please report it with this output): ${(e as Error).stack ?? String(e)}`);
    return ExitCode.failure;
  }
}

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`give a number of seconds, 0 or more`);
  return n;
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError(`give an integer from 1 to 64`);
  return n;
}
