// The report: side-by-side tables (wall time with ratios against the fastest peer, peak RSS, S3
// requests), the targets of issue #6 with met/missed, and a detail table per case.

import { formatOps, type Counts } from "./proxy.ts";
import { max, median, min } from "./stats.ts";
import { markdownTable, type Column } from "./table.ts";
import type { Outcome } from "./tools/tool.ts";

export type CaseId = "startup" | "first" | "incr1" | "incr50" | "noop";

export interface SampleRecord {
  run: number;
  wallMs: number;
  peakRssKb: number | null;
  /** CPU time of the command (user + system, with its children such as git). */
  cpuMs: number | null;
  /** CPU time the S3 server (weed) used during the run. */
  serverCpuMs: number | null;
  outcome: Outcome;
  target?: string;
  /** Run through the counting proxy: not part of the medians. */
  proxied: boolean;
  requests?: Counts;
}

export interface CaseResult {
  /** Workspace size (tracked files); null for start-up. */
  size: number | null;
  id: CaseId;
  tool: string;
  label: string;
  /** Timed runs, straight to the server. */
  samples: SampleRecord[];
  /** The run through the counting proxy (its S3 requests), if any. */
  counted: SampleRecord | null;
  warnings: string[];
}

export interface ToolInfo {
  name: string;
  title: string;
  peer: boolean;
}

const CASE_TITLES: Record<CaseId, string> = {
  startup: "start-up",
  first: "first publish",
  incr1: "1 file changed",
  incr50: "50 files changed",
  noop: "nothing changed",
};
export const CASE_ORDER: CaseId[] = ["first", "incr1", "incr50", "noop"];

export const fmtS = (ms: number | null) =>
  ms === null || Number.isNaN(ms)
    ? "-"
    : ms < 1000
      ? (ms / 1000).toFixed(3)
      : ms < 100_000
        ? (ms / 1000).toFixed(2)
        : (ms / 1000).toFixed(1);

export function fmtBytes(n: number | null): string {
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

const fmtSize = (n: number) => (n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n));
const ratio = (x: number) => (x >= 10 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toFixed(3));

export const medianWall = (c: CaseResult | undefined): number | null =>
  c?.samples.length ? median(c.samples.map((s) => s.wallMs)) : null;
export const maxRssKb = (c: CaseResult | undefined): number | null => {
  const xs = (c ? [...c.samples, ...(c.counted ? [c.counted] : [])] : [])
    .map((s) => s.peakRssKb)
    .filter((x): x is number => x !== null);
  return xs.length ? max(xs) : null;
};
const medianOf = (samples: readonly SampleRecord[], pick: (s: SampleRecord) => number | null): number | null => {
  const xs = samples.map(pick).filter((x): x is number => x !== null);
  return xs.length ? median(xs) : null;
};

export class Results {
  readonly cases: CaseResult[] = [];
  private byKey = new Map<string, CaseResult>();

  get(size: number | null, id: CaseId, tool: string, label: string): CaseResult {
    const key = `${size}/${id}/${tool}`;
    let c = this.byKey.get(key);
    if (!c) {
      c = { size, id, tool, label, samples: [], counted: null, warnings: [] };
      this.byKey.set(key, c);
      this.cases.push(c);
    }
    return c;
  }

  find(size: number | null, id: CaseId, tool: string): CaseResult | undefined {
    return this.byKey.get(`${size}/${id}/${tool}`);
  }
}

interface Row {
  size: number;
  id: CaseId;
}

function rows(results: Results, sizes: readonly number[]): Row[] {
  const out: Row[] = [];
  for (const size of sizes)
    for (const id of CASE_ORDER) if (results.cases.some((c) => c.size === size && c.id === id)) out.push({ size, id });
  return out;
}

function fastestPeer(results: Results, row: Row, tools: readonly ToolInfo[]): { tool: ToolInfo; ms: number } | null {
  let best: { tool: ToolInfo; ms: number } | null = null;
  for (const t of tools) {
    if (!t.peer) continue;
    const ms = medianWall(results.find(row.size, row.id, t.name));
    if (ms !== null && (best === null || ms < best.ms)) best = { tool: t, ms };
  }
  return best;
}

/** Median wall time per tool, each with its ratio to the fastest peer of the row. */
export function wallTable(results: Results, sizes: readonly number[], tools: readonly ToolInfo[]): string {
  const cols: Column[] = [
    { title: "files" },
    { title: "case" },
    ...tools.map((t) => ({ title: t.title, align: "right" as const })),
    { title: "fastest peer" },
    { title: "wspub vs fastest peer", align: "right" },
  ];
  const body = rows(results, sizes).map((row) => {
    const best = fastestPeer(results, row, tools);
    const cells = tools.map((t) => {
      const c = results.find(row.size, row.id, t.name);
      const ms = medianWall(c);
      if (ms === null) return "-";
      const runs = c!.samples.length;
      return `${fmtS(ms)} s${best ? ` (${ratio(ms / best.ms)}x)` : ""}${runs < 5 ? ` [${runs}]` : ""}${c!.warnings.length ? " (!)" : ""}`;
    });
    const w = medianWall(results.find(row.size, row.id, "wspub"));
    let verdict = "-";
    if (best && w !== null) verdict = w <= best.ms ? `${ratio(best.ms / w)}x faster` : `${ratio(w / best.ms)}x slower`;
    return [fmtSize(row.size), CASE_TITLES[row.id], ...cells, best?.tool.title ?? "-", verdict];
  });
  return markdownTable(cols, body);
}

/** Peak RSS (MiB, the largest of the row's runs) per tool. */
export function rssTable(results: Results, sizes: readonly number[], tools: readonly ToolInfo[]): string {
  const cols: Column[] = [
    { title: "files" },
    { title: "case" },
    ...tools.map((t) => ({ title: t.title, align: "right" as const })),
  ];
  const body = rows(results, sizes).map((row) => [
    fmtSize(row.size),
    CASE_TITLES[row.id],
    ...tools.map((t) => {
      const kb = maxRssKb(results.find(row.size, row.id, t.name));
      return kb === null ? "-" : (kb / 1024).toFixed(0);
    }),
  ]);
  return markdownTable(cols, body);
}

/** S3 requests of the counted run per tool (total), and the mix below. */
export function requestTable(
  results: Results,
  sizes: readonly number[],
  tools: readonly ToolInfo[],
): { table: string; mix: string[] } {
  const cols: Column[] = [
    { title: "files" },
    { title: "case" },
    ...tools.map((t) => ({ title: t.title, align: "right" as const })),
  ];
  const mix: string[] = [];
  const body = rows(results, sizes).map((row) => [
    fmtSize(row.size),
    CASE_TITLES[row.id],
    ...tools.map((t) => {
      const c = results.find(row.size, row.id, t.name);
      const r = c?.counted?.requests;
      if (!r) return "-";
      const errors = Object.entries(r.errors)
        .map(([code, n]) => `${n}x${code}`)
        .join(" ");
      mix.push(
        `${fmtSize(row.size)} ${CASE_TITLES[row.id]}, ${t.title}: ${formatOps(r)}${errors ? ` (HTTP errors: ${errors})` : ""}`,
      );
      return String(r.total);
    }),
  ]);
  return { table: markdownTable(cols, body), mix };
}

/** Proxied (counted) run's wall time over the direct median, per tool and case (median over sizes). */
export function proxyOverheadTable(results: Results, tools: readonly ToolInfo[]): string {
  const ids = CASE_ORDER.filter((id) => results.cases.some((c) => c.id === id && c.counted));
  const cols: Column[] = [{ title: "case" }, ...tools.map((t) => ({ title: t.title, align: "right" as const }))];
  const body = ids.map((id) => [
    CASE_TITLES[id],
    ...tools.map((t) => {
      const xs = results.cases
        .filter((c) => c.id === id && c.tool === t.name && c.counted && c.samples.length)
        .map((c) => c.counted!.wallMs / median(c.samples.map((s) => s.wallMs)));
      return xs.length ? `${ratio(median(xs))}x` : "-";
    }),
  ]);
  return markdownTable(cols, body);
}

export function startupTable(results: Results, labels: readonly { tool: string; label: string }[]): string {
  const body = labels.flatMap(({ tool, label }) => {
    const c = results.find(null, "startup", tool);
    if (!c?.samples.length) return [];
    const wall = c.samples.map((s) => s.wallMs);
    const kb = maxRssKb(c);
    return [[label, fmtS(median(wall)), fmtS(min(wall)), fmtS(max(wall)), kb === null ? "-" : (kb / 1024).toFixed(0)]];
  });
  return markdownTable(
    [
      { title: "command" },
      { title: "median s", align: "right" },
      { title: "min", align: "right" },
      { title: "max", align: "right" },
      { title: "peak RSS MiB", align: "right" },
    ],
    body,
  );
}

/** Every case with its details (medians of the timed runs). */
export function detailTable(results: Results): string {
  const body = results.cases
    .filter((c) => c.samples.length)
    .map((c) => {
      const wall = c.samples.map((s) => s.wallMs);
      const uploaded = medianOf(c.samples, (s) => s.outcome.uploaded);
      const kb = maxRssKb(c);
      return [
        c.size === null ? "-" : fmtSize(c.size),
        c.label + (c.warnings.length ? " (!)" : ""),
        String(c.samples.length),
        fmtS(median(wall)),
        fmtS(min(wall)),
        fmtS(max(wall)),
        kb === null ? "-" : (kb / 1024).toFixed(0),
        uploaded === null ? "-" : String(uploaded),
        fmtBytes(medianOf(c.samples, (s) => s.outcome.bytesUploaded)),
        fmtS(medianOf(c.samples, (s) => s.outcome.internalMs)),
        fmtS(medianOf(c.samples, (s) => s.cpuMs)),
        fmtS(medianOf(c.samples, (s) => s.serverCpuMs)),
        c.counted ? fmtS(c.counted.wallMs) : "-",
      ];
    });
  return markdownTable(
    [
      { title: "files" },
      { title: "case" },
      { title: "runs", align: "right" },
      { title: "median s", align: "right" },
      { title: "min", align: "right" },
      { title: "max", align: "right" },
      { title: "RSS MiB", align: "right" },
      { title: "uploaded", align: "right" },
      { title: "bytes", align: "right" },
      { title: "internal s", align: "right" },
      { title: "CPU s", align: "right" },
      { title: "server CPU s", align: "right" },
      { title: "proxied s", align: "right" },
    ],
    body,
  );
}

export interface Target {
  id: string;
  goal: string;
  status: "met" | "missed" | "n/a" | "report";
  detail: string;
}

/** The targets of issue #6, from the measured medians. */
export function targets(results: Results, tools: readonly ToolInfo[], workspaceBytes: Map<number, number>): Target[] {
  const out: Target[] = [];
  const w = (size: number, id: CaseId) => medianWall(results.find(size, id, "wspub"));
  const peers = tools.filter((t) => t.peer);

  // 1. one-file incremental at 10k: >= 10x faster than the fastest peer.
  {
    const best = fastestPeer(results, { size: 10_000, id: "incr1" }, tools);
    const mine = w(10_000, "incr1");
    if (best && mine !== null) {
      const x = best.ms / mine;
      out.push({
        id: "incr1-10k",
        goal: "1-file incremental at 10k files >= 10x faster than the fastest peer",
        status: x >= 10 ? "met" : "missed",
        detail: `wspub ${fmtS(mine)} s, fastest peer ${best.tool.title} ${fmtS(best.ms)} s: ${ratio(x)}x`,
      });
    } else
      out.push({
        id: "incr1-10k",
        goal: "1-file incremental at 10k >= 10x faster than the fastest peer",
        status: "n/a",
        detail: "10k size not run",
      });
  }
  // 2. flat: incr1 at 100k within 1.3x of incr1 at 10k, while peers grow.
  {
    const a = w(10_000, "incr1");
    const b = w(100_000, "incr1");
    if (a !== null && b !== null) {
      const growth = peers
        .map((t) => {
          const pa = medianWall(results.find(10_000, "incr1", t.name));
          const pb = medianWall(results.find(100_000, "incr1", t.name));
          return pa !== null && pb !== null ? `${t.title} ${ratio(pb / pa)}x` : null;
        })
        .filter(Boolean)
        .join(", ");
      out.push({
        id: "incr1-flat",
        goal: "1-file incremental at 100k within 1.3x of the same at 10k",
        status: b / a <= 1.3 ? "met" : "missed",
        detail: `wspub ${fmtS(a)} s -> ${fmtS(b)} s: ${ratio(b / a)}x; peers: ${growth || "-"}`,
      });
    } else
      out.push({
        id: "incr1-flat",
        goal: "1-file incremental at 100k within 1.3x of the same at 10k",
        status: "n/a",
        detail: "10k and 100k sizes not both run",
      });
  }
  // 3. first publish throughput >= the fastest of rclone and s5cmd, per size.
  for (const [size, bytes] of workspaceBytes) {
    const mine = w(size, "first");
    const rivals = peers
      .filter((t) => t.name.startsWith("rclone") || t.name === "s5cmd")
      .map((t) => ({ t, ms: medianWall(results.find(size, "first", t.name)) }))
      .filter((x): x is { t: ToolInfo; ms: number } => x.ms !== null)
      .sort((x, y) => x.ms - y.ms);
    const best = rivals[0];
    if (mine === null || !best) continue;
    const mbps = (ms: number) =>
      `${(bytes / 1024 ** 2 / (ms / 1000)).toFixed(1)} MiB/s, ${Math.round(size / (ms / 1000))} files/s`;
    out.push({
      id: `first-${fmtSize(size)}`,
      goal: `first publish of ${fmtSize(size)} files: throughput >= the fastest of rclone and s5cmd`,
      status: mine <= best.ms ? "met" : "missed",
      detail: `wspub ${fmtS(mine)} s (${mbps(mine)}), ${best.t.title} ${fmtS(best.ms)} s (${mbps(best.ms)}): wspub takes ${ratio(mine / best.ms)}x`,
    });
  }
  // 4. peak RSS at 100k <= 200 MB.
  {
    const kbs = results.cases
      .filter((c) => c.size === 100_000 && c.tool === "wspub")
      .map((c) => maxRssKb(c))
      .filter((x): x is number => x !== null);
    if (kbs.length) {
      const peak = max(kbs);
      const worst = results.cases
        .filter((c) => c.size === 100_000 && c.tool === "wspub")
        .find((c) => maxRssKb(c) === peak);
      out.push({
        id: "rss-100k",
        goal: "wspub peak RSS at 100k files <= 200 MB",
        status: peak / 1024 <= 200 ? "met" : "missed",
        detail:
          `largest: ${(peak / 1024).toFixed(0)} MiB (${((peak * 1.024) / 1000).toFixed(0)} MB) in ${worst?.label ?? "?"}; ` +
          CASE_ORDER.map((id) => {
            const kb = maxRssKb(results.find(100_000, id, "wspub"));
            return kb === null ? null : `${CASE_TITLES[id]} ${(kb / 1024).toFixed(0)}`;
          })
            .filter(Boolean)
            .join(", "),
      });
    } else
      out.push({
        id: "rss-100k",
        goal: "wspub peak RSS at 100k files <= 200 MB",
        status: "n/a",
        detail: "100k size not run",
      });
  }
  // 5. start-up: report.
  {
    const node = medianWall(results.find(null, "startup", "node"));
    const version = medianWall(results.find(null, "startup", "wspub"));
    const noops = [...workspaceBytes.keys()]
      .map((size) => (w(size, "noop") === null ? null : `${fmtSize(size)} ${fmtS(w(size, "noop"))} s`))
      .filter(Boolean);
    if (node !== null && version !== null) {
      out.push({
        id: "startup",
        goal: "CLI start-up close to a bare node start",
        status: "report",
        detail: `node -e 0 ${fmtS(node)} s, wspub --version ${fmtS(version)} s (+${fmtS(version - node)} s); no-op push: ${noops.join(", ") || "-"}`,
      });
    }
  }
  return out;
}

export function targetList(ts: readonly Target[]): string {
  return ts
    .map((t) => `- [${t.status === "met" ? "x" : " "}] **${t.status.toUpperCase()}** ${t.goal}: ${t.detail}`)
    .join("\n");
}
