import type { PublishResult } from "../publish/request.js";

/** Text shared by every entry point's output (CLI, Action log). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

export const shortOid = (oid: string | null, none = "nothing") => (oid ? oid.slice(0, 12) : none);

/** Two lines describing one publish. */
export function formatPublish(r: PublishResult, where: string): string {
  const short = (oid: string | null) => shortOid(oid);
  const head = r.dryRun
    ? `dry run: would publish ${r.workspace} ${short(r.commit)} (live: ${short(r.previous)}) to ${where}`
    : r.noop
      ? `${r.workspace} ${short(r.commit)} is already live at ${where}: nothing to do`
      : `published ${r.workspace} ${short(r.commit)} (was ${short(r.previous)}) to ${where}`;
  const verb = r.dryRun ? "would be " : "";
  const counts =
    `  ${r.uploaded} ${verb}uploaded (${formatBytes(r.bytesUploaded)}), ${r.copied} ${verb}copied, ${r.deleted} ` +
    `${verb}deleted, ${r.unchanged} unchanged; ${r.files} files, ${r.excluded} excluded; ` +
    `${(r.durationMs / 1000).toFixed(2)} s`;
  return `${head}\n${counts}`;
}

/** Paths of each kind a dry run lists before it says "and N more". */
export const PLAN_LINES = 20;

/**
 * The plan's paths, one per line (`  upload  src/app.js`), at most `limit` of each kind, then how
 * many more: a dry run shows what it would do, not only how much.
 */
export function formatChanges(r: PublishResult, limit = PLAN_LINES): string {
  const lines: string[] = [];
  const kinds = [
    ["upload", r.changes.uploaded, r.uploaded],
    ["copy", r.changes.copied, r.copied],
    ["delete", r.changes.deleted, r.deleted],
  ] as const;
  for (const [verb, paths, count] of kinds) {
    for (const path of paths.slice(0, limit)) lines.push(`  ${verb.padEnd(6)}  ${path}`);
    if (count > Math.min(limit, paths.length))
      lines.push(`  ... and ${count - Math.min(limit, paths.length)} more to ${verb}`);
  }
  return lines.join("\n");
}
