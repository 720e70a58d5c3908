import { type Command, Option } from "commander";
import { ExitCode } from "../../errors.js";
import { WATCH_POLL_S, WATCH_RECONCILE_S, WATCH_DEBOUNCE_MS } from "../../limits.js";
import { parseSeconds, storeFlags, type StoreOpts, storeOptions } from "../options.js";
import type { Runtime, SetExitCode } from "../runtime.js";
import { formatWatchEvent, watchEventJson } from "../watch-log.js";

interface WatchOpts extends StoreOpts {
  listen?: string;
  poll: number;
  reconcile: number;
  mountRc?: string[];
  webhook?: string;
  notify: boolean;
}

/** `wspub watch [PATH...]`: the sync service. */
export function addWatchCommand(program: Command, rt: Runtime, setCode: SetExitCode): void {
  const repeatable = (v: string, all: string[] | undefined) => [...(all ?? []), v];
  storeOptions(
    program
      .command("watch")
      .description(
        "the sync service: publish every workspace of these repositories (or of the repositories in these " +
          "directories) whenever its branch moves, retrying until live",
      )
      .argument("[paths...]", "repositories, or directories of repositories (default: the current directory)")
      .option("--listen <host:port>", "serve GET /healthz and GET /metrics (Prometheus) here")
      .addOption(
        new Option("--poll <seconds>", "look at every branch tip this often, besides file-system events")
          .argParser(parseSeconds)
          .default(WATCH_POLL_S),
      )
      .addOption(
        new Option("--reconcile <seconds>", "publish every workspace this often even if it looks live (a no-op)")
          .argParser(parseSeconds)
          .default(WATCH_RECONCILE_S),
      )
      .option("--mount-rc <url>", "rclone mount remote control to refresh after each publish, repeatable", repeatable)
      .option("--webhook <url>", "POST each publish's summary as JSON here")
      .option("--no-notify", "neither refresh mounts nor call the webhook"),
  ).action(async (paths: string[], o: WatchOpts) => {
    const { watch } = await import("../../watch/service.js");
    const controller = new AbortController();
    rt.onStop?.(() => controller.abort());
    await watch({
      paths: paths.length > 0 ? paths : [rt.cwd],
      env: rt.env,
      store: storeFlags(o),
      notify: { mountRc: o.mountRc, webhook: o.webhook, notify: o.notify },
      reporter: { event: (e) => rt.io.out(o.json ? watchEventJson(e, new Date()) : formatWatchEvent(e, new Date())) },
      listen: o.listen,
      pollMs: Math.max(100, o.poll * 1000),
      reconcileMs: Math.max(1000, o.reconcile * 1000),
      debounceMs: WATCH_DEBOUNCE_MS,
      signal: controller.signal,
    });
    setCode(ExitCode.ok);
  });
}
