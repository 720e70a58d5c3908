import type { VerifyResult } from "../inspect/verify.js";
import type { ListedWorkspace, StatusResult } from "../inspect/status.js";
import type { PublishSet } from "../filter/publish-set.js";
import { formatBytes, shortOid } from "../report/text.js";
export { formatPublish } from "../report/text.js";
import type { BackgroundStatus } from "../hooks/state.js";

const short = (oid: string | null) => shortOid(oid);

export function formatVerify(r: VerifyResult): string {
  const note =
    r.interrupted !== null
      ? `\n  note: a publish${r.interrupted ? ` of ${short(r.interrupted)}` : ""} was interrupted; the next wspub push finishes it`
      : "";
  return formatDrift(r) + note;
}

function formatDrift(r: VerifyResult): string {
  if (r.ok)
    return `ok: ${r.workspace} at ${r.target} matches the manifest of ${short(r.commit)} (${r.checked} objects)`;
  const lines = [`drift: ${r.workspace} at ${r.target} does not match the manifest of ${short(r.commit)}`];
  for (const d of r.missing) lines.push(`  missing     ${d.object}`);
  for (const d of r.changed) lines.push(`  changed     ${d.object} (${d.reason})`);
  for (const o of r.unexpected) lines.push(`  unexpected  ${o}`);
  lines.push(
    `  ${r.missing.length} missing, ${r.changed.length} changed, ${r.unexpected.length} unexpected of ${r.checked}; run wspub verify --repair to restore them from git`,
  );
  return lines.join("\n");
}

export function formatStatus(s: StatusResult, background?: BackgroundStatus): string {
  const text = formatLive(s);
  return background ? `${text}\n${formatBackground(background)}` : text;
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
  if (s.head) {
    if (s.behind === null) lines.push(`  HEAD:      ${short(s.head)} (${s.note ?? "cannot compare"})`);
    else if (s.behind === 0 && s.ahead === 0) lines.push(`  HEAD:      ${short(s.head)} is live`);
    else
      lines.push(
        `  HEAD:      ${short(s.head)}, ${s.behind} commit(s) not yet published${s.ahead ? `, live has ${s.ahead} commit(s) HEAD lacks` : ""}`,
      );
  }
  return lines.join("\n");
}

export function formatList(rows: readonly ListedWorkspace[], target: string): string {
  if (rows.length === 0) return `no workspaces published at ${target}`;
  const width = Math.max(9, ...rows.map((r) => r.workspace.length));
  const lines = [`${"WORKSPACE".padEnd(width)}  COMMIT        FILES  BYTES       PUBLISHED`];
  for (const r of rows) {
    lines.push(
      `${r.workspace.padEnd(width)}  ${short(r.commit)}  ${String(r.files).padStart(5)}  ${formatBytes(r.bytes).padEnd(10)}  ${r.publishedAt} by ${r.publishedBy}`,
    );
  }
  return lines.join("\n");
}

export function formatFiles(set: PublishSet, explain: boolean): string {
  const lines = set.files.map((f) => f.path);
  if (explain) {
    for (const x of set.excluded) lines.push(`excluded: ${x.path}  <- ${x.reason}`);
  }
  return lines.join("\n");
}
