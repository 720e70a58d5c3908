import { CredentialScanner, type CredentialFinding } from "../filter/credentials.js";
import type { PublishFile } from "../filter/publish-set.js";
import type { GitReader } from "../git/port.js";
import { refusedError } from "../errors.js";
import { collectGarbage } from "../heap.js";
import {
  CREDENTIAL_SCAN_COLLECT_BYTES,
  CREDENTIAL_SCAN_MAX_BYTES,
  CREDENTIAL_SCAN_READS,
  MAX_NAMED_WITHHELD,
} from "../limits.js";
import { runBounded } from "../queue.js";
import { messages } from "../messages.js";
import type { Proposal } from "./proposal.js";
import type { Publishing } from "./request.js";

/**
 * Refuses (exit 3, before anything is written; in a dry run after the plan is shown) a publish
 * that would put a credential into the bucket, recognised by content (filter/credentials.ts).
 * Scanned: the files whose content this publish writes (uploads and copies), or every file when the
 * live manifest was made under other rules (`proposal.rescan`). Not scanned: files allowed with `!`
 * in `.wspubignore` or the config's excludes, symlinks, files over CREDENTIAL_SCAN_MAX_BYTES (a
 * notice names them), binary content.
 */
export async function checkCredentials(
  p: Publishing,
  proposal: Pick<Proposal, "plan" | "rescan">,
  /** Files (path and blob) this publish found clean: a plan made again under the lock scans only the others. */
  clean: Set<string> = new Set(),
): Promise<void> {
  const { plan } = proposal;
  const all = [...plan.put, ...plan.copy, ...(proposal.rescan ? plan.keep : [])].map((a) => a.file);
  const written = all.filter((f) => !clean.has(cleanKey(f)));
  const { findings, skipped } = await scanFiles(p.req.git, written);
  if (skipped.length > 0) {
    const named = skipped.slice(0, MAX_NAMED_WITHHELD).join(", ");
    const limit = `${CREDENTIAL_SCAN_MAX_BYTES / 2 ** 20} MiB`;
    const message = messages.credentialScanSkipped(skipped.length, limit, named, skipped.length > MAX_NAMED_WITHHELD);
    p.req.reporter.event({ type: "notice", message });
  }
  if (findings.length > 0) {
    throw refusedError(messages.credentialsFound(p.req.layout.workspace, p.commit.oid, findings));
  }
  for (const f of written) clean.add(cleanKey(f));
}

/** A file as the scan judged it: the rules look at the content and at the path. */
const cleanKey = (f: PublishFile) => `${f.oid} ${f.path}`;

/** The credentials these files' content holds, and the paths too large to be scanned. */
export async function scanFiles(
  git: GitReader,
  files: readonly PublishFile[],
): Promise<{ findings: CredentialFinding[]; skipped: string[] }> {
  const skipped: string[] = [];
  const wanted = files.filter((f) => {
    if (f.allowed || f.mode === "120000") return false;
    if (f.size > CREDENTIAL_SCAN_MAX_BYTES) skipped.push(f.path);
    return f.size <= CREDENTIAL_SCAN_MAX_BYTES;
  });
  const bytes = wanted.reduce((sum, f) => sum + f.size, 0);
  const scanner = new CredentialScanner();
  // Reads in flight while secretlint works (each file at most CREDENTIAL_SCAN_MAX_BYTES).
  await runBounded(wanted, CREDENTIAL_SCAN_READS, async (file) => {
    const content = await git.readObject(file.oid);
    if (content !== undefined) await scanner.add({ path: file.path, content });
  });
  const findings = await scanner.done();
  // What the scan read is garbage now: collected before the uploads pile their own on top of it.
  if (bytes >= CREDENTIAL_SCAN_COLLECT_BYTES) collectGarbage();
  return { findings, skipped };
}
