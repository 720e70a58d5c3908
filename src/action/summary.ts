import type { PublishResult } from "../publish/request.js";
import { SUMMARY_MAX_CHANGES, SUMMARY_MAX_SUBMODULES } from "../limits.js";
import { formatBytes, shortOid } from "../report/text.js";

/** The job summary (GITHUB_STEP_SUMMARY) of one publish, as Markdown. */
export function summaryMarkdown(r: PublishResult, where: string): string {
  const title = r.dryRun
    ? `wspub: dry run of \`${r.workspace}\` at \`${short(r.commit)}\` (nothing was written)`
    : r.noop
      ? `wspub: \`${r.workspace}\` \`${short(r.commit)}\` is already live`
      : `wspub: published \`${r.workspace}\` \`${short(r.commit)}\``;
  const verb = r.dryRun ? "would be " : "";
  const lines = [
    `### ${title}`,
    "",
    "| | |",
    "|---|---|",
    `| workspace | \`${cell(r.workspace)}\` |`,
    `| commit | \`${r.commit}\` |`,
    `| previous | ${r.previous ? `\`${r.previous}\`` : "none (first publish)"} |`,
    `| location | \`${cell(where)}\` |`,
    `| manifest | ${r.manifest === null ? "(dry run: none written)" : `\`${cell(r.manifest)}\``} |`,
    "",
    `| ${verb}uploaded | ${verb}copied | ${verb}deleted | unchanged | bytes ${verb}uploaded | duration |`,
    "|---:|---:|---:|---:|---:|---:|",
    `| ${r.uploaded} | ${r.copied} | ${r.deleted} | ${r.unchanged} | ${formatBytes(r.bytesUploaded)} | ` +
      `${(r.durationMs / 1000).toFixed(2)} s |`,
    "",
    `${r.files} files ${r.dryRun ? "in the publish set" : "published"}` +
      (r.excluded > 0
        ? `, ${r.excluded} tracked files excluded (\`wspub files --explain\` lists them).`
        : ", no tracked file excluded."),
  ];
  const rows = [
    ...r.changes.uploaded.map((p) => ["uploaded", p]),
    ...r.changes.copied.map((p) => ["copied", p]),
    ...r.changes.deleted.map((p) => ["deleted", p]),
  ];
  if (rows.length > 0) {
    const shown = rows.slice(0, SUMMARY_MAX_CHANGES);
    lines.push(
      "",
      "<details><summary>Changes</summary>",
      "",
      "| change | path |",
      "|---|---|",
      ...shown.map(([k, p]) => `| ${verb}${k} | \`${cell(p!)}\` |`),
    );
    const total = r.uploaded + r.copied + r.deleted;
    if (total > shown.length) lines.push("", `${shown.length} of ${total} changes shown.`);
    lines.push("", "</details>");
  }
  if (r.submodules.length > 0) {
    const shown = r.submodules.slice(0, SUMMARY_MAX_SUBMODULES).map((p) => `\`${cell(p)}\``);
    const more = r.submodules.length - shown.length;
    lines.push(
      "",
      `Skipped submodules (gitlinks are not published): ${shown.join(", ")}${more > 0 ? ` and ${more} more` : ""}.`,
    );
  }
  return `${lines.join("\n")}\n`;
}

export const short = (oid: string | null) => shortOid(oid, "none");

/** Text inside a code span in a table cell: no pipe (it would end the cell), no backtick, no newline. */
const cell = (s: string) => s.replace(/[|`\r\n]/g, (c) => (c === "|" ? "\\|" : c === "`" ? "'" : " "));
