import { type Lint, type LintFinding, loadLint } from "./secretlint.js";

/**
 * Credentials recognised by content, with secretlint's recommended rule preset
 * (@secretlint/secretlint-rule-preset-recommend: private keys, AWS secret keys, GCP service-account
 * keys, GitHub, GitLab, npm, Slack, Stripe, OpenAI, ... tokens). A maintained rule set, run in
 * process: wspub names the file, the rule and the line of each finding, never the value.
 *
 * Cost: a secretlint run costs ~0.25 ms whatever its size, so small files are scanned together,
 * about BATCH_CHARS at a time, and each finding is mapped back to its file. Files whose verdict
 * depends on more than their text scan alone (see scannedAlone): those the rules judge by name or
 * parse whole, and those carrying `secretlint-disable` comments (which would reach into the next
 * file). A finding in a batch only names the files to lint alone (see flush).
 */

export interface CredentialFinding {
  path: string;
  /** The rule and what it found, e.g. `github/GITHUB_TOKEN` (secretlint's rule and message ids). */
  rule: string;
  /** 1-based line of the finding in the file. */
  line: number;
}

/** A file to scan: its path (relative to the workspace) and its bytes. */
export interface ScannedText {
  path: string;
  content: Buffer;
}

/**
 * The rule set, in the filter's digest (publish-set.ts): a new preset version makes the next publish
 * scan every file once. test/unit/credentials.test.ts checks it against the installed package.
 */
export const CREDENTIAL_RULES = "@secretlint/secretlint-rule-preset-recommend@13.0.7";

/** Text handed to one secretlint run, in UTF-16 code units. */
export const BATCH_CHARS = 256 * 1024;
/** Bytes looked at for a NUL, as git does to tell binary files (buffer_is_binary). */
const BINARY_PROBE = 8000;
const RULE_PREFIX = "@secretlint/secretlint-rule-";

/** Whether git would call this content binary: a NUL in its first 8000 bytes. Binaries are not scanned. */
export const isBinary = (content: Buffer) => content.subarray(0, BINARY_PROBE).includes(0);

/** The names the npm rule judges a file by (it tests the path's end: `ci.npmrc` counts). */
const NAMED = ["package.json", "package-lock.json", ".npmrc"];

/**
 * Files scanned on their own: those the rules judge by name (npm's), a `.json` the GCP rule would
 * parse whole (it reports only an object with `private_key_id` and `private_key`: a file without
 * the text `private_key` cannot match, and is batched), and text with secretlint's comments.
 */
function scannedAlone(path: string, text: string): boolean {
  const name = path.slice(path.lastIndexOf("/") + 1);
  if (NAMED.some((n) => name.endsWith(n)) || text.includes("secretlint-")) return true;
  return name.endsWith(".json") && text.includes("private_key");
}

const findingOf = (path: string, m: LintFinding): CredentialFinding => ({
  path,
  rule: `${m.ruleId.startsWith(RULE_PREFIX) ? m.ruleId.slice(RULE_PREFIX.length) : m.ruleId}/${m.messageId}`,
  line: m.line,
});

interface Member {
  path: string;
  text: string;
  /** Offset of its text in the batch. */
  start: number;
}

/**
 * Scans texts as they come (`add`), in batches; `done` scans what is left and gives every finding,
 * by path. Binary content is skipped (the caller skips by size).
 */
export class CredentialScanner {
  private readonly found: CredentialFinding[] = [];
  private batch: Member[] = [];
  private chars = 0;
  private loaded: Promise<Lint> | undefined;

  /** secretlint, loaded by the first text to lint. */
  private get lint(): Promise<Lint> {
    this.loaded ??= loadLint();
    return this.loaded;
  }

  /** Queues a file; lints the batch when it is full. */
  async add(file: ScannedText): Promise<void> {
    if (isBinary(file.content)) return;
    const text = file.content.toString("utf8");
    if (scannedAlone(file.path, text)) {
      await this.alone(file.path, text);
      return;
    }
    this.batch.push({ path: file.path, text, start: this.chars });
    // One newline apart: a line-anchored pattern sees each file's first line as a line start.
    this.chars += text.length + 1;
    if (this.chars >= BATCH_CHARS) await this.flush();
  }

  /** Every finding, once what is queued is linted: by path, then line. */
  async done(): Promise<CredentialFinding[]> {
    await this.flush();
    return this.found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line));
  }

  private async alone(path: string, text: string): Promise<void> {
    for (const m of await (await this.lint)(path, text, true)) this.found.push(findingOf(path, m));
  }

  private async flush(): Promise<void> {
    const members = this.batch;
    if (members.length === 0) return;
    this.batch = [];
    this.chars = 0;
    const findings = await (await this.lint)("batch.txt", members.map((m) => m.text).join("\n"), false);
    // A batch only says which files to look at: a match may run on across the newline between two
    // files while its reported range stays in one (the AWS rule's `\s*`), so every file a finding
    // touches is linted alone, and only that verdict (and its line numbers) counts. Findings are rare.
    const suspects = new Set<Member>();
    for (const finding of findings) {
      const [from, to] = finding.range;
      const first = members.indexOf(memberAt(members, from));
      const last = members.indexOf(memberAt(members, Math.max(from, to - 1)));
      for (const m of members.slice(first, last + 1)) suspects.add(m);
    }
    for (const member of suspects) await this.alone(member.path, member.text);
  }
}

/** The member whose text holds batch offset `offset` (the newline after a text counts as its own). */
function memberAt(members: readonly Member[], offset: number): Member {
  let low = 0;
  let high = members.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (members[mid]!.start <= offset) low = mid;
    else high = mid - 1;
  }
  return members[low]!;
}
