// `npm run bench:profile [-- --files N --runs N]`: where a small
// incremental `wspub push` spends its time at one workspace size.
//
// Generates a workspace (no node_modules: wspub never reads the working tree), publishes it once
// to a throw-away SeaweedFS, then times, as medians of --runs (default 3), the pieces a push is
// made of, each in its own process:
//   node -e 0                     bare Node start
//   wspub --version               + loading the CLI
//   git ls-tree -r -z HEAD        the tree listing alone
//   wspub files --json            + start-up, ls-tree parsing and the filter (no store)
//   wspub push (no-op)            + the pointer and the live manifest read and parsed
//   wspub push (1 file changed)   + lock, journal, plan, upload, new manifest and pointer
// and records a CPU profile (node --cpu-prof) of one more 1-file push: self time by function and
// by area (module loading, git parsing, filter, manifest JSON, hashing, SDK/HTTP, GC, idle).
// Output on stdout (markdown) and in bench-results/profile-<files>-<time>.{md,json,cpuprofile}.

import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { detectRssMethod, runCommand, type RssMethod } from "./runner.ts";
import { cleanEnv, prepareBucket, startServer, type S3Server } from "./server.ts";
import { median } from "./stats.ts";
import { markdownTable } from "./table.ts";
import { snapshotBuild, wspubBin } from "./tools/wspub.ts";
import { editFiles, generateWorkspace, GIT_ENV, type Workspace } from "./workspace.ts";

const REPO_ROOT = resolve(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    files: { type: "string", default: "100000" },
    runs: { type: "string", default: "3" },
    seed: { type: "string", default: "1" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log("usage: npm run bench:profile -- [--files N (default 100000)] [--runs N (default 3)] [--seed N]");
  process.exit(0);
}
const FILES = Number(values.files);
const RUNS = Number(values.runs);
if (!Number.isInteger(FILES) || FILES < 10 || !Number.isInteger(RUNS) || RUNS < 1) {
  console.error("bench:profile: --files wants an integer >= 10, --runs an integer >= 1");
  process.exit(2);
}
const log = (msg: string) => process.stderr.write(`[profile ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Self and inclusive time (ms) per function, and self time per area. */
function analyse(profile: CpuProfile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + dt);
  }
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const short = (url: string) => {
    const path = url.replace(/^file:\/\//, "");
    return path.includes("/node_modules/")
      ? path.replace(/^.*\/node_modules\//, "node_modules/")
      : path.replace(/^.*\/(lib\/)/, "$1");
  };
  const key = (n: ProfileNode) =>
    `${n.callFrame.functionName || "(anonymous)"} ${short(n.callFrame.url)}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ""}`;
  const selfByFn = new Map<string, number>();
  const inclByFn = new Map<string, number>();
  const area = new Map<string, number>();
  const areaOf = (id: number): string => {
    // The innermost frame that tells where the time belongs.
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)!;
      const { url, functionName } = n.callFrame;
      if (functionName === "(garbage collector)") return "GC";
      if (functionName === "(idle)") return "idle (waiting for git, the network, timers)";
      if (functionName === "(program)") return "(program: native, not attributed)";
      if (url.includes("/lib/filter/") || url.includes("node_modules/ignore/")) return "filter (lib/filter, ignore)";
      if (url.includes("/lib/git/")) return "git output parsing (lib/git)";
      if (url.includes("/lib/manifest/")) return "manifest / pointer (lib/manifest)";
      if (url.includes("/lib/plan/")) return "plan (lib/plan)";
      if (url.includes("/lib/publish/content")) return "hashing and blob reads (lib/publish/content)";
      if (url.includes("node_modules/@aws-sdk/") || url.includes("node_modules/@smithy/")) return "AWS SDK";
      if (
        url.startsWith("node:internal/modules") ||
        functionName === "compileFunction" ||
        functionName === "compileSourceTextModule"
      )
        return "module loading";
    }
    const n = byId.get(id)!;
    if (n.callFrame.functionName === "parse" && !n.callFrame.url) return "JSON.parse (callers elsewhere)";
    const url = n.callFrame.url;
    if (url.includes("/node_modules/")) return `other dependencies (${short(url).split("/")[1]})`;
    if (url.includes("/lib/")) return `other wspub code (${short(url).split("/").slice(0, 2).join("/")})`;
    if (url.startsWith("node:")) return "node internals (streams, http, child_process)";
    return "other";
  };
  for (const [id, ms] of self) {
    const n = byId.get(id)!;
    selfByFn.set(key(n), (selfByFn.get(key(n)) ?? 0) + ms);
    const a = areaOf(id);
    area.set(a, (area.get(a) ?? 0) + ms);
    // Inclusive: every distinct function on the stack gets the sample once.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = key(byId.get(cur)!);
      if (seen.has(k)) continue;
      seen.add(k);
      inclByFn.set(k, (inclByFn.get(k) ?? 0) + ms);
    }
  }
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return {
    totalMs: (profile.endTime - profile.startTime) / 1000,
    self: sorted(selfByFn),
    incl: sorted(inclByFn),
    area: sorted(area),
  };
}

async function timeCmd(rss: RssMethod, cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const s = await runCommand(rss, cmd, args, { cwd, env });
  if (s.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${s.code}: ${s.stderr.slice(-2000)}`);
  return s;
}

async function main() {
  const scratch = mkdtempSync(join(tmpdir(), "wspub-profile-"));
  let server: S3Server | undefined;
  try {
    snapshotBuild(join(scratch, "wspub-build"));
    const rss = detectRssMethod(log);
    log(`generating ${FILES} files`);
    const ws: Workspace = generateWorkspace({
      dir: join(scratch, `ws-${FILES}`),
      files: FILES,
      seed: Number(values.seed),
      nodeModules: 0,
    });
    server = await startServer();
    await prepareBucket(server, "bench");
    const env = cleanEnv({
      ...GIT_ENV,
      XDG_DATA_HOME: scratch,
      XDG_CONFIG_HOME: scratch,
      AWS_ACCESS_KEY_ID: server.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
    });
    const push = [
      "push",
      "--target",
      "s3://bench/profile",
      "--endpoint",
      server.endpoint,
      "--json",
      "--concurrency",
      "16",
    ];
    log("first publish (not timed)");
    await timeCmd(rss, process.execPath, [wspubBin(), ...push], ws.dir, env);

    const steps: { label: string; run: () => { cmd: string; args: string[] }; before?: () => void }[] = [
      { label: "node -e 0", run: () => ({ cmd: process.execPath, args: ["-e", "0"] }) },
      { label: "wspub --version", run: () => ({ cmd: process.execPath, args: [wspubBin(), "--version"] }) },
      {
        label: "git ls-tree -r -z HEAD",
        run: () => ({ cmd: "git", args: ["ls-tree", "-r", "-z", "--full-tree", "-l", "HEAD"] }),
      },
      { label: "wspub files --json", run: () => ({ cmd: process.execPath, args: [wspubBin(), "files", "--json"] }) },
      { label: "wspub push, nothing changed", run: () => ({ cmd: process.execPath, args: [wspubBin(), ...push] }) },
      {
        label: "wspub push, 1 file changed",
        run: () => ({ cmd: process.execPath, args: [wspubBin(), ...push] }),
        before: () => void editFiles(ws, 1),
      },
    ];
    const rows: string[][] = [];
    const raw: Record<string, { wallMs: number[]; rssKb: (number | null)[]; cpuMs: (number | null)[] }> = {};
    for (let r = 0; r < RUNS; r++) {
      for (const step of steps) {
        step.before?.();
        const { cmd, args } = step.run();
        const s = await timeCmd(rss, cmd, args, ws.dir, env);
        raw[step.label] ??= { wallMs: [], rssKb: [], cpuMs: [] };
        const e = raw[step.label]!;
        e.wallMs.push(s.wallMs);
        e.rssKb.push(s.peakRssKb);
        e.cpuMs.push(s.cpuMs);
      }
    }
    for (const step of steps) {
      const e = raw[step.label]!;
      const kb = e.rssKb.filter((x): x is number => x !== null);
      const cpu = e.cpuMs.filter((x): x is number => x !== null);
      rows.push([
        step.label,
        (median(e.wallMs) / 1000).toFixed(3),
        cpu.length ? (median(cpu) / 1000).toFixed(3) : "-",
        kb.length ? (Math.max(...kb) / 1024).toFixed(0) : "-",
      ]);
    }

    log("CPU profile of one more 1-file push");
    editFiles(ws, 1);
    const profDir = join(scratch, "prof");
    // The unbundled build (lib/cli/run.js, tsc's output) so that time is attributed to wspub's
    // modules by file; the timed steps above run the bundled CLI (bin/wspub.js), as users do.
    await timeCmd(
      rss,
      process.execPath,
      ["--cpu-prof", `--cpu-prof-dir=${profDir}`, join(dirname(dirname(wspubBin())), "lib", "cli", "run.js"), ...push],
      ws.dir,
      env,
    );
    const profFile = join(profDir, readdirSync(profDir).find((f) => f.endsWith(".cpuprofile"))!);
    const a = analyse(JSON.parse(readFileSync(profFile, "utf8")) as CpuProfile);
    const ms = (x: number) => x.toFixed(0);
    const lib = (k: string) => / lib\//.test(k);
    const md = [
      `wspub profile: ${FILES} files (${(ws.trackedBytes / 1024 ** 2).toFixed(0)} MiB), medians of ${RUNS} runs, node ${process.version}, ${new Date().toISOString()}`,
      "",
      markdownTable(
        [
          { title: "step" },
          { title: "wall s", align: "right" },
          { title: "CPU s", align: "right" },
          { title: "peak RSS MiB", align: "right" },
        ],
        rows,
      ),
      "",
      `CPU profile of a 1-file push (${ms(a.totalMs)} ms profiled, node --cpu-prof, unbundled lib/cli/run.js so that time is attributed by module; the profiler slows the process down):`,
      "",
      markdownTable(
        [{ title: "area (self time)" }, { title: "ms", align: "right" }],
        a.area.map(([k, v]) => [k, ms(v)]),
      ),
      "",
      markdownTable(
        [{ title: "wspub function (inclusive)" }, { title: "ms", align: "right" }],
        a.incl
          .filter(([k]) => lib(k))
          .slice(0, 25)
          .map(([k, v]) => [k, ms(v)]),
      ),
      "",
      markdownTable(
        [{ title: "function (self)" }, { title: "ms", align: "right" }],
        a.self.slice(0, 20).map(([k, v]) => [k, ms(v)]),
      ),
    ].join("\n");
    process.stdout.write(`${md}\n`);
    const out = join(REPO_ROOT, "bench-results");
    mkdirSync(out, { recursive: true });
    const base = join(out, `profile-${FILES}-${new Date().toISOString().replace(/[:.]/g, "-")}`);
    writeFileSync(`${base}.md`, `${md}\n`);
    writeFileSync(
      `${base}.json`,
      `${JSON.stringify({ files: FILES, runs: RUNS, steps: raw, area: a.area, inclusive: a.incl.slice(0, 200), self: a.self.slice(0, 200) }, null, 2)}\n`,
    );
    copyFileSync(profFile, `${base}.cpuprofile`);
    log(`written ${base}.{md,json,cpuprofile}`);
  } finally {
    await server?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`profile: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
