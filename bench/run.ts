// `npm run bench [-- options]`: wspub side by side with rclone, s5cmd and `aws s3 sync`, on
// generated git workspaces of several sizes, against one throw-away SeaweedFS on 127.0.0.1.
// See bench/README.md. `--latency MS` runs bench/latency.ts instead (every request delayed).

import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, tmpdir } from "node:os";
import { basename, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { s3Client } from "../test/harness/seaweed.ts";
import { makeMirror, updateMirror, type Mirror } from "./mirror.ts";
import { startProxy, type CountingProxy } from "./proxy.ts";
import {
  detailTable,
  fmtBytes,
  fmtS,
  proxyOverheadTable,
  requestTable,
  Results,
  rssTable,
  startupTable,
  targetList,
  targets,
  wallTable,
  type CaseId,
  type SampleRecord,
  type ToolInfo,
} from "./report.ts";
import { median } from "./stats.ts";
import { detectRssMethod, killRunning, runCommand, type RssMethod } from "./runner.ts";
import { cleanEnv, prepareBucket, processCpuMs, serverPid, startServer, weedVersion, type S3Server } from "./server.ts";
import { TOOLS } from "./tools/index.ts";
import type { Command, Source, Tool } from "./tools/tool.ts";
import { checkBuilt, libBuiltAt, snapshotBuild, wspubBaseline } from "./tools/wspub.ts";
import { editFiles, generateWorkspace, type Workspace } from "./workspace.ts";

const REPO_ROOT = resolve(import.meta.dirname, "..");

// `--latency MS`: the same publishers with every request delayed (bench/latency.ts).
if (process.argv.some((a) => a === "--latency" || a.startsWith("--latency="))) {
  const { spawnSync } = await import("node:child_process");
  const r = spawnSync(
    process.execPath,
    ["--experimental-strip-types", join(REPO_ROOT, "bench", "latency.ts"), ...process.argv.slice(2)],
    {
      stdio: "inherit",
    },
  );
  process.exit(r.status ?? 1);
}
const BUCKET = "bench";
const RUN_TIMEOUT_MS = 20 * 60_000;

const TITLES: Record<string, string> = {
  wspub: "wspub",
  "rclone-checksum": "rclone --checksum",
  rclone: "rclone (default)",
  s5cmd: "s5cmd",
  aws: "aws s3 sync",
  "wspub-baseline": "wspub (baseline)",
};

const USAGE = `usage: npm run bench -- [options]

  --sizes L           workspace sizes in tracked files (default 1000,10000,100000; --quick 1000)
  --runs N            timed runs per case and tool, the median is reported (default 5; --quick 3)
  --large N           sizes >= N are "large" (default 50000): their first publish runs
                      --large-first-runs times (default 1) for every tool, their incremental
                      cases --large-runs times (default 2) for the peers and --runs times for
                      wspub, and the no-op case runs for wspub only
  --large-first-runs N, --large-runs N
  --quick             --sizes 1000 --runs 3 --node-modules 20000 unless given
  --tools L           publishers (default: all; known: ${Object.keys(TOOLS).join(", ")})
  --cases L           subset of: startup,first,incr1,incr50,noop (default all)
  --concurrency N     the same for every tool (default 16, wspub's default)
  --node-modules N    ignored files in each workspace's node_modules/ (default 40000)
  --no-count          skip the counted run (through the S3-request-counting proxy) of each case
  --no-verify         skip listing every tool's live prefix at the end of a size
  --seed N            workspace PRNG seed (default 1)
  --out DIR           where raw results go (default bench-results/)
  --keep              keep the generated workspaces (their paths are printed)
  --baseline DIR      also run the wspub built in DIR (a checkout of another commit, after
                      npm ci && npm run build there) as the publisher "wspub-baseline"
  --latency MS        every request through a proxy that delays it MS ms (and 0 ms, for the
                      sequential round trips): bench/latency.ts, with its own options (--help)
  -h, --help          this text`;

interface Options {
  sizes: number[];
  runs: number;
  large: number;
  largeFirstRuns: number;
  largeRuns: number;
  quick: boolean;
  tools: Tool[];
  cases: Set<CaseId>;
  concurrency: number;
  nodeModules: number;
  count: boolean;
  verify: boolean;
  seed: number;
  out: string;
  keep: boolean;
}

class UsageError extends Error {}

const ALL_CASES: CaseId[] = ["startup", "first", "incr1", "incr50", "noop"];

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      sizes: { type: "string" },
      runs: { type: "string" },
      large: { type: "string" },
      "large-first-runs": { type: "string" },
      "large-runs": { type: "string" },
      quick: { type: "boolean", default: false },
      tools: { type: "string" },
      cases: { type: "string" },
      concurrency: { type: "string" },
      "node-modules": { type: "string" },
      "no-count": { type: "boolean", default: false },
      "no-verify": { type: "boolean", default: false },
      seed: { type: "string", default: "1" },
      out: { type: "string", default: "bench-results" },
      keep: { type: "boolean", default: false },
      baseline: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const int = (name: string, text: string | undefined, fallback: number, lo = 1): number => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < lo)
      throw new UsageError(`--${name} wants an integer >= ${lo}, got ${JSON.stringify(text)}`);
    return n;
  };
  const list = (text: string | undefined) =>
    (text ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  const quick = values.quick ?? false;
  const cases = new Set<CaseId>(values.cases === undefined ? ALL_CASES : (list(values.cases) as CaseId[]));
  for (const c of cases)
    if (!ALL_CASES.includes(c))
      throw new UsageError(`unknown case ${JSON.stringify(c)} (known: ${ALL_CASES.join(", ")})`);
  const toolNames = values.tools === undefined ? Object.keys(TOOLS) : list(values.tools);
  const tools = toolNames.map((name) => {
    const t = TOOLS[name];
    if (!t) throw new UsageError(`unknown tool ${JSON.stringify(name)} (known: ${Object.keys(TOOLS).join(", ")})`);
    return t;
  });
  if (values.baseline !== undefined) tools.push(wspubBaseline(values.baseline));
  const sizes =
    values.sizes === undefined
      ? quick
        ? [1000]
        : [1000, 10_000, 100_000]
      : list(values.sizes).map((s) => int("sizes", s, 0, 100));
  const options: Options = {
    sizes,
    runs: int("runs", values.runs, quick ? 3 : 5),
    large: int("large", values.large, 50_000),
    largeFirstRuns: int("large-first-runs", values["large-first-runs"], 1),
    largeRuns: int("large-runs", values["large-runs"], 2),
    quick,
    tools,
    cases,
    concurrency: int("concurrency", values.concurrency, 16),
    nodeModules: int("node-modules", values["node-modules"], quick ? 20_000 : 40_000, 0),
    count: !values["no-count"],
    verify: !values["no-verify"],
    seed: int("seed", values.seed, 1, 0),
    out: resolve(REPO_ROOT, values.out ?? "bench-results"),
    keep: values.keep ?? false,
  };
  options.largeRuns = Math.min(options.largeRuns, options.runs);
  if (options.cases.has("incr50") && Math.min(...sizes) < 100)
    throw new UsageError("the 50-file case needs sizes >= 100");
  return options;
}

let interrupted = false;
const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
/** Round-robin: round r starts with tool r, so that no tool always runs first (or last). */
const rotate = <T>(xs: readonly T[], r: number): T[] => xs.slice(r % xs.length).concat(xs.slice(0, r % xs.length));

// ---------------------------------------------------------------------------------------------

interface SizeState {
  size: number;
  ws: Workspace;
  mirror: Mirror;
  src: Source;
  /** Live prefix per tool. */
  live: Map<string, string>;
  generateMs: number;
}

class Bench {
  readonly results = new Results();
  readonly options: Options;
  readonly rss: RssMethod;
  readonly server: S3Server;
  readonly proxy: CountingProxy;
  readonly scratchRoot: string;
  readonly weedPid: number | null;
  readonly verifications: {
    size: number;
    tool: string;
    prefix: string;
    objects: number;
    expected: number;
    problems: string[];
    ms: number;
  }[] = [];
  private stateDirs: string[] = [];

  constructor(options: Options, rss: RssMethod, server: S3Server, proxy: CountingProxy, scratchRoot: string) {
    this.options = options;
    this.rss = rss;
    this.server = server;
    this.proxy = proxy;
    this.scratchRoot = scratchRoot;
    this.weedPid = serverPid(server);
  }

  private publishOptions() {
    const scratch = mkdtempSync(join(this.scratchRoot, "state-"));
    this.stateDirs.push(scratch);
    return { scratch, concurrency: this.options.concurrency };
  }

  /** Runs one command; fails loudly on a non-zero exit. */
  private async sample(
    tool: { name: string; parse: Tool["parse"] },
    command: Command,
    run: number,
    proxied: boolean,
    target?: string,
  ): Promise<SampleRecord> {
    if (proxied) this.proxy.take();
    const serverBefore = processCpuMs(this.weedPid);
    const s = await runCommand(this.rss, command.cmd, command.args, {
      cwd: command.cwd,
      env: command.env,
      timeoutMs: RUN_TIMEOUT_MS,
    });
    const serverAfter = processCpuMs(this.weedPid);
    const requests = proxied ? this.proxy.take() : undefined;
    if (s.code !== 0) {
      throw new Error(
        `${tool.name} exited with ${s.code}: ${[command.cmd, ...command.args].join(" ")}\n` +
          `--- stderr ---\n${s.stderr.slice(-4000)}\n--- stdout ---\n${s.stdout.slice(-2000)}`,
      );
    }
    return {
      run,
      wallMs: s.wallMs,
      peakRssKb: s.peakRssKb,
      cpuMs: s.cpuMs,
      serverCpuMs: serverBefore !== null && serverAfter !== null ? serverAfter - serverBefore : null,
      outcome: tool.parse(s.stdout, s.stderr),
      proxied,
      ...(target !== undefined ? { target } : {}),
      ...(requests ? { requests } : {}),
    };
  }

  private record(
    size: number | null,
    id: CaseId,
    tool: Tool | { name: string },
    label: string,
    s: SampleRecord,
    expectUploaded?: number,
  ): void {
    const c = this.results.get(size, id, tool.name, label);
    if (s.proxied) c.counted = s;
    else c.samples.push(s);
    const o = s.outcome;
    log(
      `${size === null ? "" : `${size} `}${label} ${s.proxied ? "counted" : `run ${s.run}`}: ${fmtS(s.wallMs)} s` +
        (o.internalMs !== null ? ` (internal ${fmtS(o.internalMs)} s)` : "") +
        (o.uploaded !== null ? `, uploaded ${o.uploaded}` : "") +
        (s.peakRssKb !== null ? `, RSS ${(s.peakRssKb / 1024).toFixed(0)} MiB` : "") +
        (s.cpuMs !== null ? `, CPU ${fmtS(s.cpuMs)} s` : "") +
        (s.serverCpuMs !== null ? `, server CPU ${fmtS(s.serverCpuMs)} s` : "") +
        (s.requests ? `, ${s.requests.total} requests` : ""),
    );
    if (expectUploaded !== undefined && o.uploaded !== null && o.uploaded !== expectUploaded) {
      const w = `${s.proxied ? "counted run" : `run ${s.run}`}: uploaded ${o.uploaded}, expected ${expectUploaded}`;
      c.warnings.push(w);
      log(`WARNING ${label}: ${w}`);
    }
  }

  async startup(tools: readonly Tool[]): Promise<void> {
    const withStartup = tools.filter((t) => t.startup);
    const node = {
      name: "node",
      parse: () => ({
        files: null,
        uploaded: null,
        copied: null,
        deleted: null,
        unchanged: null,
        bytesUploaded: null,
        internalMs: null,
      }),
    };
    for (let r = 1; r <= this.options.runs; r++) {
      for (const t of rotate([node, ...withStartup], r)) {
        const opts = this.publishOptions();
        const cmd: Command =
          t === node
            ? { cmd: process.execPath, args: ["-e", "0"], cwd: opts.scratch, env: cleanEnv() }
            : (t as Tool).startup!(opts);
        this.record(
          null,
          "startup",
          t,
          t === node ? "node -e 0" : `${t.name} start-up`,
          await this.sample(t, cmd, r, false),
        );
      }
    }
  }

  private target(prefix: string, proxied: boolean) {
    return {
      server: this.server,
      endpoint: proxied ? this.proxy.endpoint : this.server.endpoint,
      bucket: BUCKET,
      prefix,
    };
  }

  /** First publishes into fresh prefixes, interleaved; the last timed one becomes the tool's live prefix. */
  async first(st: SizeState, tools: readonly Tool[]): Promise<void> {
    const large = st.size >= this.options.large;
    const runs = large ? this.options.largeFirstRuns : this.options.runs;
    const counted = this.options.count && !large;
    for (let r = 1; r <= runs + (counted ? 1 : 0); r++) {
      const proxied = r > runs;
      for (const tool of rotate(tools, r)) {
        const prefix = `s${st.size}/${tool.name}/${proxied ? "first-counted" : `first-${r}`}`;
        const cmd = tool.publish(st.src, this.target(prefix, proxied), this.publishOptions());
        this.record(
          st.size,
          "first",
          tool,
          `${tool.name} first publish`,
          await this.sample(tool, cmd, r, proxied, prefix),
          st.mirror.files,
        );
        if (!proxied) st.live.set(tool.name, prefix);
      }
    }
  }

  /** Brings each tool's live prefix to HEAD (untimed) when the first-publish case is skipped. */
  async baseline(st: SizeState, tools: readonly Tool[]): Promise<void> {
    for (const tool of tools) {
      if (st.live.has(tool.name)) continue;
      const prefix = `s${st.size}/${tool.name}/baseline`;
      await this.sample(tool, tool.publish(st.src, this.target(prefix, false), this.publishOptions()), 0, false);
      st.live.set(tool.name, prefix);
    }
  }

  /**
   * `runs` rounds (plus a counted one): commit a change to `count` files (0: none), update the
   * peers' tree, then every tool publishes onto its live prefix, in rotating order.
   */
  async incremental(
    st: SizeState,
    tools: readonly Tool[],
    count: number,
    runs: number,
    counted: boolean,
    firstRun = 1,
  ): Promise<void> {
    const id: CaseId = count === 0 ? "noop" : count === 1 ? "incr1" : "incr50";
    const label = (t: Tool) => (count === 0 ? `${t.name} no-op publish` : `${t.name} ${count}-file incremental`);
    const total = runs + (counted ? 1 : 0);
    for (let i = 1; i <= total; i++) {
      const proxied = i > runs;
      if (count > 0) {
        const edit = editFiles(st.ws, count);
        const written = updateMirror(st.ws.dir, st.mirror, edit.paths);
        if (written !== count) log(`WARNING: ${written} of ${count} edited files are in the publish set`);
      }
      const r = firstRun + i - 1;
      for (const tool of rotate(tools, r)) {
        const prefix = st.live.get(tool.name)!;
        const cmd = tool.publish(st.src, this.target(prefix, proxied), this.publishOptions());
        this.record(st.size, id, tool, label(tool), await this.sample(tool, cmd, r, proxied, prefix), count);
      }
    }
  }

  /** Lists each tool's live prefix and compares keys and sizes with the peers' tree (= the publish set of HEAD). */
  async verify(st: SizeState, tools: readonly Tool[]): Promise<void> {
    const expected = new Map<string, number>();
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else expected.set(relative(st.mirror.dir, p), statSync(p).size);
      }
    };
    walk(st.mirror.dir);
    const client = s3Client(this.server);
    try {
      for (const tool of tools) {
        const started = performance.now();
        const base = `${st.live.get(tool.name)}/${st.src.name}/`;
        const seen = new Map<string, number>();
        let token: string | undefined;
        do {
          const page = await client.send(
            new ListObjectsV2Command({ Bucket: BUCKET, Prefix: base, ContinuationToken: token }),
          );
          for (const o of page.Contents ?? []) seen.set(o.Key!.slice(base.length), o.Size ?? -1);
          token = page.NextContinuationToken;
        } while (token);
        const problems: string[] = [];
        for (const [path, size] of expected) {
          const got = seen.get(path);
          if (got === undefined) problems.push(`missing ${path}`);
          else if (got !== size) problems.push(`size ${path}: ${got}, expected ${size}`);
        }
        for (const path of seen.keys()) if (!expected.has(path)) problems.push(`unexpected ${path}`);
        const ms = performance.now() - started;
        this.verifications.push({
          size: st.size,
          tool: tool.name,
          prefix: base,
          objects: seen.size,
          expected: expected.size,
          problems: problems.slice(0, 20),
          ms,
        });
        if (problems.length) {
          const msg = `live prefix differs from the publish set: ${problems.length} problem(s), e.g. ${problems.slice(0, 3).join("; ")}`;
          log(`WARNING ${st.size} ${tool.name}: ${msg}`);
          const last = [...this.results.cases].reverse().find((c) => c.size === st.size && c.tool === tool.name);
          last?.warnings.push(msg);
        } else log(`verified ${st.size} ${tool.name}: ${seen.size} objects match the publish set (${fmtS(ms)} s)`);
      }
    } finally {
      client.destroy();
    }
  }

  async size(size: number, tools: readonly Tool[]): Promise<SizeState> {
    const o = this.options;
    const dir = join(this.scratchRoot, `ws-${size}`);
    log(`generating a workspace of ${size} files (+${o.nodeModules} ignored in node_modules/, seed ${o.seed})`);
    const ws = generateWorkspace({ dir, files: size, seed: o.seed, nodeModules: o.nodeModules });
    log(
      `workspace: ${ws.files.length} tracked files, ${fmtBytes(ws.trackedBytes)} (${ws.files.filter((f) => f.kind === "asset").length} assets), ` +
        `${ws.ignoredFiles} ignored files (${fmtBytes(ws.ignoredBytes)}), in ${fmtS(ws.generateMs)} s`,
    );
    const mirror = makeMirror(ws.dir, join(this.scratchRoot, `tree-${size}`));
    log(
      `peers' tree: ${mirror.files} files (${fmtBytes(mirror.bytes)}), ${mirror.excluded} excluded by the filter, exported in ${fmtS(mirror.ms)} s`,
    );
    const st: SizeState = {
      size,
      ws,
      mirror,
      src: { repo: ws.dir, tree: mirror.dir, name: basename(ws.dir) },
      live: new Map(),
      generateMs: ws.generateMs,
    };

    const large = size >= o.large;
    const wspubTool = tools.filter((t) => !t.peer);
    const peerRuns = large ? o.largeRuns : o.runs;
    if (o.cases.has("first")) await this.first(st, tools);
    const incr = (["incr1", "incr50", "noop"] as const).filter((c) => o.cases.has(c));
    if (incr.length) await this.baseline(st, tools);
    if (o.cases.has("incr1")) await this.incremental(st, tools, 1, peerRuns, o.count);
    if (o.cases.has("incr50")) await this.incremental(st, tools, 50, peerRuns, o.count);
    if (o.cases.has("noop") && !large) await this.incremental(st, tools, 0, o.runs, o.count);
    if (o.verify && incr.length) await this.verify(st, tools);
    if (large && incr.length && wspubTool.length) {
      // wspub's remaining runs, after the peers are done with this size (its own live prefix only).
      if (o.cases.has("incr1") && o.runs > peerRuns)
        await this.incremental(st, wspubTool, 1, o.runs - peerRuns, false, peerRuns + 2);
      if (o.cases.has("incr50") && o.runs > peerRuns)
        await this.incremental(st, wspubTool, 50, o.runs - peerRuns, false, peerRuns + 2);
      if (o.cases.has("noop")) await this.incremental(st, wspubTool, 0, o.runs, o.count);
      if (o.verify) await this.verify(st, wspubTool);
    }
    return st;
  }

  cleanupState(): void {
    for (const d of this.stateDirs) rmSync(d, { recursive: true, force: true });
    this.stateDirs = [];
  }
}

function gitInfo(): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync("git", ["rev-parse", "HEAD"], { cwd: REPO_ROOT, encoding: "utf8" }).trim();
    const dirty =
      execFileSync("git", ["status", "--porcelain", "--", "src", "bin", "package.json"], {
        cwd: REPO_ROOT,
        encoding: "utf8",
      }).trim() !== "";
    return { commit, dirty };
  } catch {
    return { commit: "?", dirty: true };
  }
}

async function main(): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`bench: ${(e as Error).message}\n\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
  const startedAt = new Date();
  const warning = checkBuilt();
  if (warning) log(`WARNING: ${warning}`);
  const versions: Record<string, string> = {};
  for (const t of options.tools) {
    const v = t.version(log);
    if ("unavailable" in v) throw new Error(`${t.name} cannot run: ${v.unavailable}`);
    versions[t.name] = v.version;
    log(`${t.name}: ${v.version}`);
  }
  const rss = detectRssMethod(log);
  const load: { start: number[]; end?: number[] } = { start: loadavg() };
  const git = gitInfo();
  // lib/ may be rebuilt by other work in this checkout: name the build that the snapshot holds.
  const builtAt = libBuiltAt();

  const scratchRoot = mkdtempSync(join(tmpdir(), "wspub-bench-"));
  snapshotBuild(join(scratchRoot, "wspub-build"));
  let server: S3Server | undefined;
  let proxy: CountingProxy | undefined;
  let bench: Bench | undefined;
  let cleanedUp = false;
  const cleanup = async () => {
    if (cleanedUp) return;
    cleanedUp = true;
    killRunning();
    bench?.cleanupState();
    await proxy?.close().catch(() => undefined);
    if (server) {
      log("stopping SeaweedFS");
      await server.stop().catch((e: unknown) => log(`stopping SeaweedFS failed: ${String(e)}`));
    }
    if (options.keep) log(`kept the workspaces: ${scratchRoot}`);
    else rmSync(scratchRoot, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = true;
    log(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    const t0 = performance.now();
    server = await startServer();
    await prepareBucket(server, BUCKET);
    proxy = await startProxy(
      server.endpoint,
      process.env["BENCH_PROXY_LOG"] ? { logFile: process.env["BENCH_PROXY_LOG"] } : {},
    );
    log(
      `SeaweedFS at ${server.endpoint} in ${fmtS(performance.now() - t0)} s (${weedVersion()}); counting proxy at ${proxy.endpoint}; peak RSS via ${rss}`,
    );

    bench = new Bench(options, rss, server, proxy, scratchRoot);
    const phases: Record<string, number> = {};
    if (options.cases.has("startup")) {
      const p0 = performance.now();
      await bench.startup(options.tools);
      phases["startup"] = performance.now() - p0;
    }
    const workspaces: Record<string, unknown>[] = [];
    const workspaceBytes = new Map<number, number>();
    for (const size of options.sizes) {
      if (![...options.cases].some((c) => c !== "startup")) break;
      const p0 = performance.now();
      const st = await bench.size(size, options.tools);
      phases[`size ${size}`] = performance.now() - p0;
      workspaceBytes.set(size, st.mirror.bytes);
      workspaces.push({
        size,
        files: st.ws.files.length,
        trackedBytes: st.ws.trackedBytes,
        assets: st.ws.files.filter((f) => f.kind === "asset").length,
        ignoredFiles: st.ws.ignoredFiles,
        ignoredBytes: st.ws.ignoredBytes,
        publishSet: st.mirror.files,
        publishBytes: st.mirror.bytes,
        generateMs: st.generateMs,
        mirrorMs: st.mirror.ms,
      });
      if (!options.keep) {
        rmSync(st.ws.dir, { recursive: true, force: true });
        rmSync(st.mirror.dir, { recursive: true, force: true });
      }
      bench.cleanupState();
    }
    load.end = loadavg();
    const totalMs = performance.now() - t0;

    const tools: ToolInfo[] = options.tools.map((t) => ({
      name: t.name,
      title: TITLES[t.name] ?? t.name,
      peer: t.peer,
    }));
    const r = bench.results;
    const cpu = cpus();
    const header =
      `wspub bench: sizes ${options.sizes.join(", ")} files, ${options.runs} timed runs per case (large sizes >= ${options.large}: ` +
      `first publish ${options.largeFirstRuns}, peers' incremental ${options.largeRuns}), concurrency ${options.concurrency}, ` +
      `${startedAt.toISOString()}, total ${fmtS(totalMs)} s, wspub ${git.commit.slice(0, 12)}${git.dirty ? "+dirty" : ""} (lib/ built ${builtAt.slice(0, 19)}Z), node ${process.version}, ` +
      `${cpu.length} x ${cpu[0]?.model ?? "?"}, load ${load.start.map((x) => x.toFixed(2)).join("/")} -> ${load.end.map((x) => x.toFixed(2)).join("/")}`;
    const reqs = requestTable(r, options.sizes, tools);
    const ts = targets(r, tools, workspaceBytes);
    const warnings = r.cases.flatMap((c) => c.warnings.map((w) => `(!) ${c.size ?? ""} ${c.label}: ${w}`));
    const report = [
      header,
      "",
      "## Wall time (median of the timed runs; in brackets: fastest peer = 1x; [n] = fewer than 5 runs)",
      "",
      wallTable(r, options.sizes, tools),
      "",
      "## Targets (issue #6)",
      "",
      targetList(ts),
      "",
      "## Peak RSS, MiB (largest of the row's runs)",
      "",
      rssTable(r, options.sizes, tools),
      "",
      "## S3 requests (one counted run per case, through the counting proxy)",
      "",
      reqs.table,
      "",
      ...reqs.mix.map((m) => `- ${m}`),
      "",
      "## Start-up",
      "",
      startupTable(r, [
        { tool: "node", label: "node -e 0 (bare Node start)" },
        ...options.tools
          .filter((t) => t.startup)
          .map((t) => ({
            tool: t.name,
            label: `${TITLES[t.name] ?? t.name}: ${t.name === "wspub" ? "wspub --version" : t.name === "aws" ? "aws --version" : `${t.name.split("-")[0]} version`}`,
          })),
      ]),
      "",
      "## Counting proxy: counted run's wall time / direct median (median over sizes)",
      "",
      proxyOverheadTable(r, tools),
      "",
      "## Details",
      "",
      detailTable(r),
      "",
      "wall = spawn to exit (process start-up included); internal = the tool's own duration (wspub durationMs, rclone Elapsed time);",
      `RSS = GNU time %M (${rss}), the tool with its children; CPU = user+system of the tool and its children (git);`,
      "server CPU = what weed used meanwhile (/proc); proxied s = the counted run through the counting proxy.",
      "",
      `Tools: ${options.tools.map((t) => `${t.name} = ${t.describe} [${versions[t.name]}]`).join("; ")}`,
      "",
      `Phases: ${Object.entries(phases)
        .map(([k, v]) => `${k} ${fmtS(v)} s`)
        .join(", ")}`,
      ...(warnings.length ? ["", ...warnings] : []),
    ].join("\n");
    process.stdout.write(`\n${report}\n`);

    mkdirSync(options.out, { recursive: true });
    const stamp = startedAt
      .toISOString()
      .replace(/[:.]/g, "-")
      .replace(/-\d{3}Z$/, "Z");
    const base = join(options.out, `bench-${stamp}`);
    const raw = {
      schema: 2,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      totalMs,
      phases,
      options: { ...options, cases: [...options.cases], tools: options.tools.map((t) => t.name) },
      environment: {
        wspub: { ...git, libBuiltAt: builtAt },
        node: process.version,
        os: `${process.platform} ${release()}`,
        cpus: cpu.length,
        cpuModel: cpu[0]?.model ?? "?",
        loadavg: load,
        seaweedfs: weedVersion(),
        rssMethod: rss,
        tools: Object.fromEntries(
          options.tools.map((t) => [t.name, { version: versions[t.name], command: t.describe }]),
        ),
      },
      workspaces,
      targets: ts,
      verifications: bench.verifications,
      cases: r.cases.map((c) => ({
        ...c,
        summary: {
          medianWallMs: c.samples.length ? median(c.samples.map((s) => s.wallMs)) : null,
          runs: c.samples.length,
        },
      })),
    };
    writeFileSync(`${base}.json`, `${JSON.stringify(raw, null, 2)}\n`);
    writeFileSync(`${base}.md`, `${report}\n`);
    copyFileSync(`${base}.json`, join(options.out, "latest.json"));
    copyFileSync(`${base}.md`, join(options.out, "latest.md"));
    log(`raw results: ${base}.json (total ${fmtS(totalMs)} s)`);
    return 0;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (interrupted) return;
    process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
