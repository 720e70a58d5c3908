/**
 * What `GET /metrics` shows, in the Prometheus text format (version 0.0.4), labelled
 * `workspace="<name>"`: publishes by result, the last success, how far behind the branch the live
 * commit is (commits and seconds), and the live commit's files and bytes.
 */
export type PublishOutcome = "published" | "noop" | "failed" | "refused";

interface WorkspaceMetrics {
  publishes: Partial<Record<PublishOutcome, number>>;
  lastSuccess: number | null;
  commitsNotLive: number;
  /** When the tip that is not live yet moved there; null when live. */
  notLiveSince: number | null;
  files: number | null;
  bytes: number | null;
}

export class WatchMetrics {
  private readonly workspaces = new Map<string, WorkspaceMetrics>();

  private of(workspace: string): WorkspaceMetrics {
    let m = this.workspaces.get(workspace);
    if (!m) {
      m = { publishes: {}, lastSuccess: null, commitsNotLive: 0, notLiveSince: null, files: null, bytes: null };
      this.workspaces.set(workspace, m);
    }
    return m;
  }

  recordPublish(workspace: string, outcome: PublishOutcome, at: number): void {
    const m = this.of(workspace);
    m.publishes[outcome] = (m.publishes[outcome] ?? 0) + 1;
    if (outcome === "published" || outcome === "noop") m.lastSuccess = at;
  }

  setLive(workspace: string, files: number, bytes: number): void {
    const m = this.of(workspace);
    m.files = files;
    m.bytes = bytes;
    m.commitsNotLive = 0;
    m.notLiveSince = null;
  }

  setBehind(workspace: string, commits: number, since: number): void {
    const m = this.of(workspace);
    m.commitsNotLive = commits;
    m.notLiveSince = since;
  }

  render(now: number): string {
    const names = [...this.workspaces.keys()].sort();
    const lines: string[] = [];
    const family = (name: string, type: "counter" | "gauge", help: string, rows: [string, number][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of rows) lines.push(`${name}{${labels}} ${value}`);
    };
    const ws = (name: string) => `workspace="${escapeLabel(name)}"`;
    const each = <T>(pick: (m: WorkspaceMetrics) => T | null, value: (v: T) => number): [string, number][] =>
      names.flatMap((n) => {
        const v = pick(this.workspaces.get(n)!);
        return v === null ? [] : [[ws(n), value(v)] as [string, number]];
      });
    family(
      "wspub_publishes_total",
      "counter",
      "Publishes since the service started, by result (published, noop, failed, refused).",
      names.flatMap((n) =>
        (["published", "noop", "failed", "refused"] as const).map(
          (r) => [`${ws(n)},result="${r}"`, this.workspaces.get(n)!.publishes[r] ?? 0] as [string, number],
        ),
      ),
    );
    family(
      "wspub_last_success_timestamp_seconds",
      "gauge",
      "When a publish last succeeded (Unix seconds).",
      each(
        (m) => m.lastSuccess,
        (t) => Math.floor(t / 1000),
      ),
    );
    family(
      "wspub_commits_not_live",
      "gauge",
      "Commits of the watched branch not yet live.",
      each(
        (m) => m.commitsNotLive,
        (c) => c,
      ),
    );
    family(
      "wspub_seconds_not_live",
      "gauge",
      "Seconds since the watched branch moved to a commit that is not live yet.",
      each(
        (m) => m.notLiveSince ?? now,
        (t) => Math.max(0, Math.round((now - t) / 100) / 10),
      ),
    );
    family(
      "wspub_live_files",
      "gauge",
      "Files of the live commit.",
      each(
        (m) => m.files,
        (f) => f,
      ),
    );
    family(
      "wspub_live_bytes",
      "gauge",
      "Bytes of the live commit.",
      each(
        (m) => m.bytes,
        (b) => b,
      ),
    );
    // The service's own memory, for the operator (and the soak benchmark). Unlabelled.
    const mem = process.memoryUsage();
    lines.push(
      "# HELP process_resident_memory_bytes Resident memory of the wspub process.",
      "# TYPE process_resident_memory_bytes gauge",
      `process_resident_memory_bytes ${mem.rss}`,
      "# HELP nodejs_heap_size_used_bytes JavaScript heap in use.",
      "# TYPE nodejs_heap_size_used_bytes gauge",
      `nodejs_heap_size_used_bytes ${mem.heapUsed}`,
    );
    return `${lines.join("\n")}\n`;
  }
}

/** Label values escape backslash, double quote and newline (Prometheus text format). */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
