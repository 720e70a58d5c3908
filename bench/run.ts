// `npm run bench [-- options]`: publishes a generated git workspace into a local SeaweedFS with
// the built CLI and reports medians. See bench/README.md.

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { cpus, loadavg, release, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { detectRssMethod, killRunning, runCommand, type RssMethod } from "./runner.ts";
import { prepareBucket, processCpuMs, serverPid, startServer, weedVersion, type S3Server } from "./server.ts";
import { max, median, min } from "./stats.ts";
import { markdownTable } from "./table.ts";
import { TOOLS } from "./tools/index.ts";
import type { Command, Outcome, Tool } from "./tools/tool.ts";
import { checkBuilt } from "./tools/wspub.ts";
import { editFiles, generateWorkspace, type Workspace } from "./workspace.ts";

const REPO_ROOT = resolve(import.meta.dirname, "..");
const BUCKET = "bench";
const RUN_TIMEOUT_MS = 15 * 60_000;

const USAGE = `usage: npm run bench -- [options]

  --files N               tracked files in the generated workspace (default 10000; --quick 1000)
  --runs N                runs per case, the median is reported (default 5; --quick 3)
  --quick                 --files 1000 --runs 3 unless given
  --seed N                workspace PRNG seed (default 1)
  --concurrency N         pass --concurrency N to every publish (default: the tool's own)
  --concurrency-sweep L   also time first publishes at these concurrencies, e.g. 8,16,32
                          (runs interleaved round-robin so machine noise hits them alike)
  --cases L               subset of: startup,first,incr1,incr50,noop (default all)
  --tools L               publishers to measure (default wspub; known: ${Object.keys(TOOLS).join(", ")})
  --out DIR               where raw results go (default bench-results/)
  --keep                  keep the generated workspace (its path is printed)
  -h, --help              this text`;

interface Options {
  files: number;
  runs: number;
  seed: number;
  concurrency: number | undefined;
  sweep: number[];
  cases: Set<string>;
  tools: Tool[];
  out: string;
  keep: boolean;
  quick: boolean;
}

const ALL_CASES = ["startup", "first", "incr1", "incr50", "noop"];

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      files: { type: "string" },
      runs: { type: "string" },
      quick: { type: "boolean", default: false },
      seed: { type: "string", default: "1" },
      concurrency: { type: "string" },
      "concurrency-sweep": { type: "string" },
      cases: { type: "string" },
      tools: { type: "string", default: "wspub" },
      out: { type: "string", default: "bench-results" },
      keep: { type: "boolean", default: false },
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
    if (!Number.isInteger(n) || n < lo) throw new UsageError(`--${name} wants an integer >= ${lo}, got ${JSON.stringify(text)}`);
    return n;
  };
  const list = (text: string | undefined) => (text ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  const quick = values.quick ?? false;
  const cases = new Set(values.cases === undefined ? ALL_CASES : list(values.cases));
  for (const c of cases) if (!ALL_CASES.includes(c)) throw new UsageError(`unknown case ${JSON.stringify(c)} (known: ${ALL_CASES.join(", ")})`);
  const tools = list(values.tools).map((name) => {
    const t = TOOLS[name];
    if (!t) throw new UsageError(`unknown tool ${JSON.stringify(name)} (known: ${Object.keys(TOOLS).join(", ")})`);
    return t;
  });
  const options: Options = {
    files: int("files", values.files, quick ? 1000 : 10_000, 10),
    runs: int("runs", values.runs, quick ? 3 : 5),
    seed: int("seed", values.seed, 1, 0),
    concurrency: values.concurrency === undefined ? undefined : int("concurrency", values.concurrency, 16),
    sweep: list(values["concurrency-sweep"]).map((s) => int("concurrency-sweep", s, 16)),
    cases,
    tools,
    out: resolve(REPO_ROOT, values.out ?? "bench-results"),
    keep: values.keep ?? false,
    quick,
  };
  if (options.cases.has("incr50") && options.files < 100) throw new UsageError("the 50-file case needs --files >= 100");
  return options;
}

class UsageError extends Error {}

let interrupted = false;

// ---------------------------------------------------------------------------------------------

interface SampleRecord {
  run: number;
  wallMs: number;
  peakRssKb: number | null;
  /** CPU time of the command (user + system, with its children such as git). */
  cpuMs: number | null;
  /** CPU time the S3 server (weed) used during the run. */
  serverCpuMs: number | null;
  outcome: Outcome;
  target?: string;
  concurrency?: number;
}

interface CaseResult {
  id: string;
  label: string;
  tool: string;
  /** What the case publishes: workspace files (null for start-up). */
  files: number | null;
  samples: SampleRecord[];
  warnings: string[];
}

const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

const fmtS = (ms: number) => (Number.isNaN(ms) ? "-" : ms < 1000 ? (ms / 1000).toFixed(3) : (ms / 1000).toFixed(2));

function fmtBytes(n: number | null): string {
  if (n === null || Number.isNaN(n)) return "-";
  if (n < 1024) return `${Math.round(n)} B`;
  const units = ["KiB", "MiB", "GiB"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

const medianOf = (samples: readonly SampleRecord[], pick: (s: SampleRecord) => number | null): number | null => {
  const xs = samples.map(pick).filter((x): x is number => x !== null);
  return xs.length ? median(xs) : null;
};

// ---------------------------------------------------------------------------------------------

class Bench {
  readonly results: CaseResult[] = [];
  private scratchDirs: string[] = [];

  readonly options: Options;
  readonly rss: RssMethod;
  readonly ws: Workspace;
  readonly server: S3Server;
  readonly scratchRoot: string;
  readonly weedPid: number | null;

  // (No constructor parameter properties: Node's type stripping only handles erasable syntax.)
  constructor(options: Options, rss: RssMethod, ws: Workspace, server: S3Server, scratchRoot: string) {
    this.options = options;
    this.rss = rss;
    this.ws = ws;
    this.server = server;
    this.scratchRoot = scratchRoot;
    this.weedPid = serverPid(server);
  }

  private scratch(): string {
    const d = mkdtempSync(join(this.scratchRoot, "state-"));
    this.scratchDirs.push(d);
    return d;
  }

  /** Runs one command, fails loudly on a non-zero exit, returns the sample. */
  private async sample(tool: Tool, command: Command, run: number, extra: Partial<SampleRecord> = {}): Promise<SampleRecord> {
    const serverBefore = processCpuMs(this.weedPid);
    const s = await runCommand(this.rss, command.cmd, command.args, { cwd: command.cwd, env: command.env, timeoutMs: RUN_TIMEOUT_MS });
    const serverAfter = processCpuMs(this.weedPid);
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
      ...extra,
    };
  }

  private record(c: CaseResult, s: SampleRecord, expectUploaded?: number): void {
    c.samples.push(s);
    const o = s.outcome;
    log(
      `${c.label} ${s.run}/${this.options.runs}: ${fmtS(s.wallMs)} s` +
        (o.internalMs !== null ? ` (internal ${fmtS(o.internalMs)} s)` : "") +
        (o.uploaded !== null ? `, uploaded ${o.uploaded}` : "") +
        (s.peakRssKb !== null ? `, peak RSS ${(s.peakRssKb / 1024).toFixed(0)} MiB` : "") +
        (s.cpuMs !== null ? `, CPU ${fmtS(s.cpuMs)} s` : "") +
        (s.serverCpuMs !== null ? `, server CPU ${fmtS(s.serverCpuMs)} s` : ""),
    );
    if (expectUploaded !== undefined && o.uploaded !== null && o.uploaded !== expectUploaded) {
      const w = `run ${s.run}: uploaded ${o.uploaded}, expected ${expectUploaded}`;
      c.warnings.push(w);
      log(`WARNING ${c.label}: ${w}`);
    }
  }

  private newCase(id: string, label: string, tool: Tool, files: number | null): CaseResult {
    const c: CaseResult = { id, label, tool: tool.name, files, samples: [], warnings: [] };
    this.results.push(c);
    return c;
  }

  private publishOptions(concurrency = this.options.concurrency) {
    return { scratch: this.scratch(), ...(concurrency !== undefined ? { concurrency } : {}) };
  }

  async startup(tool: Tool): Promise<void> {
    if (!tool.startup) return;
    const c = this.newCase("startup", `${tool.name} --version (start-up)`, tool, null);
    for (let i = 1; i <= this.options.runs; i++) this.record(c, await this.sample(tool, tool.startup(this.publishOptions()), i));
  }

  /** First publishes into fresh prefixes; returns the prefix of the last one (now live). */
  async first(tool: Tool): Promise<string> {
    const files = this.ws.files.length;
    const c = this.newCase("first", `${tool.name} first publish`, tool, files);
    let prefix = "";
    for (let i = 1; i <= this.options.runs; i++) {
      prefix = `${tool.name}/first-${i}`;
      const cmd = tool.publish(this.ws, { server: this.server, bucket: BUCKET, prefix }, this.publishOptions());
      this.record(c, await this.sample(tool, cmd, i, { target: prefix }), files);
    }
    return prefix;
  }

  /** First publishes at each concurrency, interleaved round-robin. */
  async sweep(tool: Tool): Promise<void> {
    const files = this.ws.files.length;
    const cases = this.options.sweep.map((n) => ({ n, c: this.newCase(`first-c${n}`, `${tool.name} first publish --concurrency ${n}`, tool, files) }));
    for (let i = 1; i <= this.options.runs; i++) {
      for (const { n, c } of cases) {
        const prefix = `${tool.name}/sweep-c${n}-${i}`;
        const cmd = tool.publish(this.ws, { server: this.server, bucket: BUCKET, prefix }, this.publishOptions(n));
        this.record(c, await this.sample(tool, cmd, i, { target: prefix, concurrency: n }), files);
      }
    }
  }

  /** Commit a change to `count` files, then publish onto the live prefix; `count` 0 = no-op publish. */
  async incremental(tool: Tool, prefix: string, count: number): Promise<void> {
    const id = count === 0 ? "noop" : `incr${count}`;
    const label = count === 0 ? `${tool.name} no-op publish (live commit)` : `${tool.name} ${count}-file incremental`;
    const c = this.newCase(id, label, tool, this.ws.files.length);
    for (let i = 1; i <= this.options.runs; i++) {
      if (count > 0) editFiles(this.ws, count);
      const cmd = tool.publish(this.ws, { server: this.server, bucket: BUCKET, prefix }, this.publishOptions());
      this.record(c, await this.sample(tool, cmd, i, { target: prefix }), count);
    }
  }

  /** Brings `prefix` to the workspace's HEAD without timing it (when the first-publish case is skipped). */
  async baseline(tool: Tool): Promise<string> {
    const prefix = `${tool.name}/baseline`;
    await this.sample(tool, tool.publish(this.ws, { server: this.server, bucket: BUCKET, prefix }, this.publishOptions()), 0);
    return prefix;
  }

  cleanup(): void {
    for (const d of this.scratchDirs) rmSync(d, { recursive: true, force: true });
    this.scratchDirs = [];
  }
}

function table(results: readonly CaseResult[]): string {
  const rows = results.map((c) => {
    const wall = c.samples.map((s) => s.wallMs);
    const rss = c.samples.map((s) => s.peakRssKb).filter((x): x is number => x !== null);
    const files = medianOf(c.samples, (s) => s.outcome.files) ?? c.files;
    const uploaded = medianOf(c.samples, (s) => s.outcome.uploaded);
    const bytes = medianOf(c.samples, (s) => s.outcome.bytesUploaded);
    const internal = medianOf(c.samples, (s) => s.outcome.internalMs);
    const cpu = medianOf(c.samples, (s) => s.cpuMs);
    const serverCpu = medianOf(c.samples, (s) => s.serverCpuMs);
    return [
      c.label + (c.warnings.length ? " (!)" : ""),
      files === null ? "-" : String(files),
      fmtS(median(wall)),
      fmtS(min(wall)),
      fmtS(max(wall)),
      rss.length ? (max(rss) / 1024).toFixed(0) : "-",
      uploaded === null ? "-" : String(uploaded),
      fmtBytes(bytes),
      internal === null ? "-" : fmtS(internal),
      cpu === null ? "-" : fmtS(cpu),
      serverCpu === null ? "-" : fmtS(serverCpu),
    ];
  });
  return markdownTable(
    [
      { title: "case" },
      { title: "files", align: "right" },
      { title: "median wall s", align: "right" },
      { title: "min", align: "right" },
      { title: "max", align: "right" },
      { title: "peak RSS MB", align: "right" },
      { title: "uploaded", align: "right" },
      { title: "bytes", align: "right" },
      { title: "internal s", align: "right" },
      { title: "CPU s", align: "right" },
      { title: "server CPU s", align: "right" },
    ],
    rows,
  );
}

function gitInfo(): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync("git", ["rev-parse", "HEAD"], { cwd: REPO_ROOT, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src", "bin", "package.json"], { cwd: REPO_ROOT, encoding: "utf8" }).trim() !== "";
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
  const warning = checkBuilt();
  if (warning) log(`WARNING: ${warning}`);
  for (const t of options.tools) {
    const v = t.version();
    if ("unavailable" in v) throw new Error(`${t.name} cannot run: ${v.unavailable}`);
  }
  const rss = detectRssMethod(log);
  const startedAt = new Date();
  const load: { start: number[]; end?: number[] } = { start: loadavg() };

  const scratchRoot = mkdtempSync(join(tmpdir(), "wspub-bench-"));
  let server: S3Server | undefined;
  let bench: Bench | undefined;
  let cleanedUp = false;
  const cleanup = async () => {
    if (cleanedUp) return;
    cleanedUp = true;
    killRunning();
    bench?.cleanup();
    if (server) {
      log("stopping SeaweedFS");
      await server.stop().catch((e: unknown) => log(`stopping SeaweedFS failed: ${String(e)}`));
    }
    if (options.keep) log(`kept the workspace: ${join(scratchRoot, "site")}`);
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
    log(`generating a workspace of ${options.files} files (seed ${options.seed})`);
    const ws = generateWorkspace({ dir: join(scratchRoot, "site"), files: options.files, seed: options.seed });
    log(
      `workspace: ${ws.files.length} tracked files, ${fmtBytes(ws.trackedBytes)} ` +
        `(${ws.files.filter((f) => f.kind === "asset").length} assets), ` +
        `${ws.ignoredFiles} ignored files in node_modules/ (${fmtBytes(ws.ignoredBytes)}), in ${fmtS(ws.generateMs)} s`,
    );
    const t0 = performance.now();
    server = await startServer();
    await prepareBucket(server, BUCKET);
    log(`SeaweedFS at ${server.endpoint} in ${fmtS(performance.now() - t0)} s (${weedVersion()}); peak RSS via ${rss}`);

    bench = new Bench(options, rss, ws, server, scratchRoot);
    for (const tool of options.tools) {
      if (options.cases.has("startup")) await bench.startup(tool);
      let live: string | undefined;
      if (options.cases.has("first")) live = await bench.first(tool);
      if (options.sweep.length) await bench.sweep(tool);
      const incremental = ["incr1", "incr50", "noop"].filter((c) => options.cases.has(c));
      if (incremental.length && live === undefined) live = await bench.baseline(tool);
      if (options.cases.has("incr1")) await bench.incremental(tool, live!, 1);
      if (options.cases.has("incr50")) await bench.incremental(tool, live!, 50);
      if (options.cases.has("noop")) await bench.incremental(tool, live!, 0);
    }
    load.end = loadavg();

    const md = table(bench.results);
    const git = gitInfo();
    const cpu = cpus();
    const header =
      `wspub bench: ${ws.files.length} files (${fmtBytes(ws.trackedBytes)}), ${options.runs} runs per case, ` +
      `${startedAt.toISOString()}, wspub ${git.commit.slice(0, 12)}${git.dirty ? "+dirty" : ""}, node ${process.version}, ` +
      `${cpu.length} x ${cpu[0]?.model ?? "?"}, load ${load.start.map((x) => x.toFixed(2)).join("/")}`;
    const notes = [
      "",
      "wall = spawn to exit of the CLI process (includes Node start-up); internal = the tool's own duration (wspub: durationMs);",
      `peak RSS = the largest of the runs (${rss}); uploaded, bytes, internal, CPU = medians;`,
      "CPU = user+system of the tool and its children (git); server CPU = what weed used meanwhile (/proc).",
    ];
    const warnings = bench.results.flatMap((c) => c.warnings.map((w) => `(!) ${c.label}: ${w}`));
    const report = [header, "", md, ...notes, ...warnings].join("\n");
    process.stdout.write(`\n${report}\n`);

    mkdirSync(options.out, { recursive: true });
    const stamp = startedAt.toISOString().replace(/[:.]/g, "-").replace(/-\d{3}Z$/, "Z");
    const base = join(options.out, `bench-${stamp}`);
    const raw = {
      schema: 1,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      options: { ...options, cases: [...options.cases], tools: options.tools.map((t) => t.name) },
      environment: {
        wspub: git,
        node: process.version,
        os: `${process.platform} ${release()}`,
        cpus: cpu.length,
        cpuModel: cpu[0]?.model ?? "?",
        loadavg: load,
        seaweedfs: weedVersion(),
        rssMethod: rss,
        tools: Object.fromEntries(options.tools.map((t) => [t.name, t.version()])),
      },
      workspace: {
        files: ws.files.length,
        trackedBytes: ws.trackedBytes,
        assets: ws.files.filter((f) => f.kind === "asset").length,
        ignoredFiles: ws.ignoredFiles,
        ignoredBytes: ws.ignoredBytes,
        seed: ws.seed,
        generateMs: ws.generateMs,
      },
      cases: bench.results.map((c) => ({
        ...c,
        summary: {
          medianWallMs: median(c.samples.map((s) => s.wallMs)),
          minWallMs: min(c.samples.map((s) => s.wallMs)),
          maxWallMs: max(c.samples.map((s) => s.wallMs)),
          maxPeakRssKb: max(c.samples.map((s) => s.peakRssKb ?? Number.NaN).filter((x) => !Number.isNaN(x))),
          medianInternalMs: medianOf(c.samples, (s) => s.outcome.internalMs),
          medianCpuMs: medianOf(c.samples, (s) => s.cpuMs),
          medianServerCpuMs: medianOf(c.samples, (s) => s.serverCpuMs),
        },
      })),
    };
    writeFileSync(`${base}.json`, `${JSON.stringify(raw, null, 2)}\n`);
    writeFileSync(`${base}.md`, `${report}\n`);
    copyFileSync(`${base}.json`, join(options.out, "latest.json"));
    copyFileSync(`${base}.md`, join(options.out, "latest.md"));
    log(`raw results: ${base}.json`);
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
    // After SIGINT/SIGTERM the killed command's failure is expected; the signal handler exits.
    if (interrupted) return;
    process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
