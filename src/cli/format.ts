import type { ListedWorkspace } from "../inspect/list.js";
import type { RepairResult } from "../inspect/repair.js";
import type { StatusResult } from "../inspect/status.js";
import type { VerifyResult } from "../inspect/verify.js";
import type { CredentialFinding } from "../filter/credentials.js";
import type { PublishSet } from "../filter/publish-set.js";
import { CREDENTIAL_SCAN_MAX_BYTES } from "../limits.js";
import type { HookStatus, HooksReport } from "../hooks/install.js";
import type { HooksLocation } from "../hooks/locate.js";
import type { BackgroundStatus } from "../hooks/state.js";
import type { Visibility } from "../notify/visibility.js";
import { formatBytes, shortOid } from "../report/text.js";
import { lfsOidOf } from "../git/lfs-pointer.js";
import type { Removed } from "../publish/remove.js";
import { savedShare, type TreeSize } from "../workspace/tree-size.js";
import { describeTarget, type Target } from "../store/target.js";

/** The human output of every command (the Action's log and summary share report/text.ts). */
export { formatChanges, formatPublish } from "../report/text.js";

const short = (oid: string | null) => shortOid(oid);
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export function formatVerify(r: VerifyResult): string {
  const what = r.interrupted ? ` of ${short(r.interrupted)}` : "";
  const note =
    r.interrupted !== null ? `\n  note: a publish${what} was interrupted; the next wspub push finishes it` : "";
  return formatDrift(r) + note;
}

function formatDrift(r: VerifyResult): string {
  const where = `${r.workspace} at ${r.target}`;
  const slot = r.atomic ? `, atomic: slot ${r.atomic.slot}` : "";
  if (r.ok) return `ok: ${where} matches the manifest of ${short(r.commit)} (${r.checked} objects${slot})`;
  const lines = [`drift: ${where} does not match the manifest of ${short(r.commit)}`];
  for (const d of r.missing) lines.push(`  missing     ${d.object}`);
  for (const d of r.changed) lines.push(`  changed     ${d.object} (${d.reason})`);
  for (const o of r.unexpected) lines.push(`  unexpected  ${o}`);
  if (r.atomic && r.atomic.link !== "ok") {
    const names = r.atomic.link === "missing" ? "is missing" : `names slot ${r.atomic.link}`;
    lines.push(`  link        ${names}, not the live slot ${r.atomic.slot}`);
  }
  for (const o of r.atomic?.inPlace ?? [])
    lines.push(`  in place    ${r.workspace}/${o} (atomic workspaces keep none)`);
  const counts = `${r.missing.length} missing, ${r.changed.length} changed, ${r.unexpected.length} unexpected`;
  lines.push(`  ${counts} of ${r.checked}; run wspub verify --repair to restore them from git`);
  return lines.join("\n");
}

export function formatRepaired(r: RepairResult): string {
  return `repaired: ${r.rewritten} object(s) rewritten from git, ${r.deleted} unexpected object(s) deleted`;
}

export function formatStatus(s: StatusResult, background?: BackgroundStatus, tree?: TreeSize | null): string {
  const stored = s.published && tree ? `\n${formatStored(s.bytes ?? 0, tree)}` : "";
  const text = `${formatLive(s)}${stored}`;
  return background ? `${text}\n${formatBackground(background)}` : text;
}

/** What the bucket saves: the bytes stored against the working tree on disk. */
export function formatStored(published: number, tree: TreeSize): string {
  const share = tree.complete ? savedShare(published, tree) : undefined;
  const disk = tree.complete ? formatBytes(tree.bytes) : `more than ${formatBytes(tree.bytes)} (not all walked)`;
  const left =
    share === undefined ? "" : ` (${share}% not stored: node_modules, build output, ignored and uncommitted files)`;
  return `  stored:    ${formatBytes(published)} of the working tree's ${disk} on disk${left}`;
}

export function formatBackground(b: BackgroundStatus): string {
  const last = b.last ? `${b.last.ok ? "ok" : "FAILED"} at ${b.last.at}: ${b.last.message}` : "not finished yet";
  return [
    `  hooks:     last background publish ${last}`,
    `  log:       ${b.log}`,
    ...b.tail.map((l) => `    ${l}`),
  ].join("\n");
}

function formatLive(s: StatusResult): string {
  if (!s.published) return `${s.workspace}: not published at ${s.target}`;
  const lines = [
    `${s.workspace} at ${s.target}`,
    `  live:      ${s.commit}`,
    `  published: ${s.publishedAt} by ${s.publishedBy}`,
    `  files:     ${s.files} (${formatBytes(s.bytes ?? 0)})`,
  ];
  if (s.slot) lines.push(`  view:      atomic, its link names slot ${s.slot}`);
  if (s.head) {
    const head = short(s.head);
    if (s.behind === null) lines.push(`  HEAD:      ${head} (${s.note ?? "cannot compare"})`);
    else if (s.behind === 0 && s.ahead === 0) lines.push(`  HEAD:      ${head} is live`);
    else {
      const ahead = s.ahead ? `, live has ${s.ahead} commit(s) HEAD lacks` : "";
      lines.push(`  HEAD:      ${head}, ${s.behind} commit(s) not yet published${ahead}`);
    }
  }
  return lines.join("\n");
}

export function formatList(rows: readonly ListedWorkspace[], target: Target): string {
  if (rows.length === 0) return `no workspaces published at ${describeTarget(target)}`;
  const width = Math.max(9, ...rows.map((r) => r.workspace.length));
  const lines = [`${"WORKSPACE".padEnd(width)}  COMMIT        FILES  BYTES       PUBLISHED`];
  for (const r of rows) {
    const bytes = formatBytes(r.bytes).padEnd(10);
    const files = String(r.files).padStart(5);
    const pr = r.preview?.pullRequest === undefined ? "" : `, pull request #${r.preview.pullRequest}`;
    const preview = r.preview ? `  (preview of ${r.preview.of}${pr}, branch ${r.preview.branch})` : "";
    lines.push(
      `${r.workspace.padEnd(width)}  ${short(r.commit)}  ${files}  ${bytes}  ${r.publishedAt} by ` +
        `${r.publishedBy}${preview}`,
    );
  }
  return lines.join("\n");
}

export function formatFiles(
  set: PublishSet,
  explain: boolean,
  credentials?: { findings: readonly CredentialFinding[]; skipped: readonly string[] },
): string {
  const unreadable = new Set(set.unreadableLfs);
  const found = new Map<string, string[]>();
  for (const f of credentials?.findings ?? [])
    found.set(f.path, [...(found.get(f.path) ?? []), `${f.rule} (line ${f.line})`]);
  const skipped = new Set(credentials?.skipped);
  const lines = set.files.map((f) => {
    const lfs = lfsOidOf(f.oid);
    if (!explain) return f.path;
    const rules = found.get(f.path);
    if (rules) return `${f.path}  <- CREDENTIAL: ${rules.join(", ")}: a publish of this commit is refused`;
    if (f.allowed) return `${f.path}  <- allowed with ! in .wspubignore or the config: not scanned for credentials`;
    if (skipped.has(f.path))
      return `${f.path}  <- over ${formatBytes(CREDENTIAL_SCAN_MAX_BYTES)}: not scanned for credentials`;
    if (lfs !== undefined)
      return `${f.path}  <- Git LFS: its content (${formatBytes(f.size)}, sha256 ${lfs.slice(0, 12)})`;
    if (unreadable.has(f.path)) return `${f.path}  <- filter=lfs, but not a pointer wspub can read: as stored in git`;
    return f.path;
  });
  if (explain) {
    for (const x of set.excluded) lines.push(`excluded: ${x.path}  <- ${x.reason}`);
  }
  return lines.join("\n");
}

/** `wspub delete`: what was (or would be) removed. */
export function formatRemoved(r: Removed, dryRun = false): string {
  return `${dryRun ? "would delete" : "deleted"} ${r.workspace}: ${r.objects} objects, ${r.records} records`;
}

/** `wspub prune`: the previews removed (or that would be). */
export function formatPrune(pruned: readonly (Removed & { branch: string })[], dryRun = false): string {
  if (pruned.length === 0) return "no previews to prune: every preview's branch still exists";
  const verb = dryRun ? "would prune" : "pruned";
  return pruned
    .map((r) => `${verb} ${r.workspace} (branch ${r.branch} is gone): ${r.objects} objects, ${r.records} records`)
    .join("\n");
}

export function formatUnlock(r: { workspace: string; removed: string | null }): string {
  return r.removed === null
    ? `${r.workspace}: no publish lock is held`
    : `${r.workspace}: removed the publish lock held by ${r.removed}`;
}

/** Lines for the human output of `wspub push`, after the publish's own two lines. */
export function formatVisibility(v: Visibility): string {
  const lines: string[] = [];
  for (const m of v.mounts) {
    const where = m.dir === null ? "" : ` (${m.dir === "" ? "its root" : m.dir})`;
    lines.push(`  mount ${m.url}${where}: ${m.ok ? "refreshed" : `NOT refreshed: ${m.error ?? "unknown error"}`}`);
  }
  if (v.mounts.length > 0) {
    const mounts = `mount${v.mounts.length > 1 ? "s" : ""}`;
    lines.push(
      v.visible
        ? `  visible through the ${mounts} ${seconds(v.waitedMs)} after the publish`
        : "  not confirmed visible: a mount that was not refreshed shows the new commit when its directory cache " +
            "expires (--dir-cache-time)",
    );
  }
  if (v.webhook) {
    const { url, ok, status, error } = v.webhook;
    lines.push(`  webhook ${url}: ${ok ? `HTTP ${status}` : `failed: ${error ?? "unknown error"}`}`);
  }
  return lines.join("\n");
}

const hooksDir = (location: HooksLocation) => (location.kind === "husky" ? `husky (${location.dir})` : location.dir);

/** What `hooks install` / `hooks uninstall` changed. */
export function formatHooksReport(report: HooksReport): string {
  const lines = [`hooks directory: ${hooksDir(report.location)}`];
  for (const h of report.hooks) {
    lines.push(`  ${h.hook}: ${h.change}${h.change === "chained" ? " (your existing hook still runs first)" : ""}`);
  }
  if (report.location.kind === "husky" && !report.location.active) {
    lines.push("  note: husky is not set up in this clone yet (run npm install, or npx husky)");
  }
  return lines.join("\n");
}

export function formatHooksStatus(
  s: { location: HooksLocation; hooks: HookStatus[]; current: boolean },
  optOut: string | null,
  background: BackgroundStatus | undefined,
): string {
  const lines = [`hooks directory: ${hooksDir(s.location)}`];
  for (const h of s.hooks) {
    lines.push(
      `  ${h.hook}: ${h.installed ? "installed" : "not installed"}${h.chained ? ", chained to your hook" : ""}`,
    );
  }
  if (optOut) lines.push(`  ${optOut} is set: hooks do nothing in this environment`);
  if (background) lines.push(`  log: ${background.log}`, ...background.tail.map((l) => `    ${l}`));
  return lines.join("\n");
}
