import { setTimeout as sleep } from "node:timers/promises";
import { StorePool } from "../app/store-pool.js";
import type { StoreFlags } from "../config/settings.js";
import { usageError } from "../errors.js";
import { WATCH_HEALTH_CACHE_MS, WATCH_PARALLEL, WATCH_STOP_GRACE_MS } from "../limits.js";
import type { NotifyFlags } from "../notify/notify-settings.js";
import { workspacesMetaRoot } from "../store/layout.js";
import { discoverRepositories } from "./discover.js";
import type { WatchReporter } from "./events.js";
import { serveWatch } from "./http.js";
import { WatchMetrics } from "./metrics.js";
import { WatchedRepository } from "./repository.js";

export interface WatchOptions {
  /** Repositories, or directories whose immediate subdirectories are repositories. */
  paths: string[];
  env: NodeJS.ProcessEnv;
  store: StoreFlags;
  notify: NotifyFlags;
  reporter: WatchReporter;
  /** HOST:PORT for GET /healthz and GET /metrics. */
  listen?: string | undefined;
  /** How often every repository's tip is looked at (besides file-system events), and new repositories found. */
  pollMs: number;
  /** How often every workspace is published even if it looks live (a no-op costs three small reads). */
  reconcileMs: number;
  /** Quiet time after a file-system event before the tip is looked at. */
  debounceMs: number;
  /** Aborted on SIGTERM/SIGINT: the service finishes (or abandons) what is under way and returns. */
  signal: AbortSignal;
}

/**
 * `wspub watch`: the sync service. It publishes what is not live at start (catch-up), then each
 * repository whenever its watched branch moves, however it moved; it reconciles periodically,
 * keeps one S3 client per target with its connections warm, and retries failures. One
 * repository's failure never stops the others. Returns once `signal` is aborted and the publishes
 * under way have finished, or after a grace period (a publish abandoned midway is finished by the
 * next one: see the journal).
 */
export async function watch(o: WatchOptions): Promise<void> {
  const first = await discoverRepositories(o.paths);
  if (first.missing.length === o.paths.length) {
    throw usageError(
      `nothing to watch: ${o.paths.join(", ")} does not exist (give repositories or a directory of them)`,
    );
  }
  const stores = new StorePool();
  const metrics = new WatchMetrics();
  const repositories = new Map<string, WatchedRepository>();
  const deps = {
    env: o.env,
    store: o.store,
    notify: o.notify,
    stores,
    reporter: o.reporter,
    metrics,
    slot: slots(WATCH_PARALLEL),
    debounceMs: o.debounceMs,
  };
  const health = healthCheck(stores);
  const server = o.listen
    ? await serveWatch(o.listen, { health, metrics: () => metrics.render(Date.now()) })
    : undefined;
  o.reporter.event({ type: "started", paths: o.paths, listen: server?.address ?? null });
  for (const path of first.missing) {
    o.reporter.event({ type: "warning", dir: null, message: `${path} does not exist (yet): it is looked for again` });
  }

  const scan = async (found = first) => {
    for (const dir of found.repositories) {
      if (repositories.has(dir) || o.signal.aborted) continue;
      const repo = new WatchedRepository(dir, deps);
      repositories.set(dir, repo);
      o.reporter.event({ type: "repository", dir, change: "added" });
      await repo.start().catch((e: unknown) => {
        o.reporter.event({ type: "warning", dir, message: `cannot watch it: ${(e as Error).message}` });
      });
    }
    for (const [dir, repo] of repositories) {
      if (found.repositories.includes(dir)) continue;
      // Gone from the directory: no longer watched. Nothing is deleted from the bucket.
      repositories.delete(dir);
      o.reporter.event({ type: "repository", dir, change: "removed" });
      await repo.stop();
    }
  };
  await scan();
  const poll = setInterval(() => {
    discoverRepositories(o.paths)
      .then(scan)
      .catch((e: unknown) =>
        o.reporter.event({
          type: "warning",
          dir: null,
          message: `cannot look for repositories: ${(e as Error).message}`,
        }),
      );
    for (const repo of repositories.values()) repo.check("change");
  }, o.pollMs);
  const reconcile = setInterval(() => {
    for (const repo of repositories.values()) repo.check("reconcile");
  }, o.reconcileMs);

  await new Promise<void>((resolve) => {
    if (o.signal.aborted) resolve();
    else o.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  clearInterval(poll);
  clearInterval(reconcile);
  const busy = [...repositories.values()].filter((r) => r.busy).length;
  const finished = await Promise.race([
    Promise.all([...repositories.values()].map((r) => r.stop())).then(() => true),
    sleep(WATCH_STOP_GRACE_MS).then(() => false),
  ]);
  await server?.close();
  await stores.closeAll();
  o.reporter.event({ type: "stopped", abandoned: finished ? 0 : busy });
}

/** At most `n` publishes at once, across repositories (each has --concurrency requests of its own). */
function slots(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let free = n;
  const waiting: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>) => {
    if (free === 0) await new Promise<void>((resolve) => waiting.push(resolve));
    else free--;
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free++;
    }
  };
}

/** Healthy while every store the service publishes to answers a listing. */
function healthCheck(stores: StorePool): () => Promise<{ ok: boolean; text: string }> {
  let cached: { at: number; value: { ok: boolean; text: string } } | undefined;
  return async () => {
    if (cached && Date.now() - cached.at < WATCH_HEALTH_CACHE_MS) return cached.value;
    const entries = await stores.entries();
    const problems: string[] = [];
    await Promise.all(
      entries.map(async ({ target, store }) => {
        try {
          await store.listDirs(workspacesMetaRoot(target));
        } catch (e) {
          problems.push(`${target.url}: ${(e as Error).message}`);
        }
      }),
    );
    const value =
      problems.length > 0
        ? { ok: false, text: `unhealthy: ${problems.join("; ")}` }
        : {
            ok: true,
            text: entries.length === 0 ? "ok (no store opened yet)" : `ok (${entries.length} store(s) reachable)`,
          };
    // A healthy answer is reused for a few seconds; an unhealthy one is asked again next time.
    cached = value.ok ? { at: Date.now(), value } : undefined;
    return value;
  };
}
