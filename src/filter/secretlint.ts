import type { SecretLintCoreConfig, SecretLintCoreResultMessage } from "@secretlint/types";

/** What the scanner keeps of a secretlint finding (never its message: secretlint's messages quote the value). */
export interface LintFinding {
  ruleId: string;
  messageId: string;
  range: readonly [number, number];
  /** 1-based line of the start of the finding in the text linted. */
  line: number;
}

/** Lints one text; `alone`: a file on its own (every rule), else a batch of files (see credentials.ts). */
export type Lint = (path: string, text: string, alone: boolean) => Promise<LintFinding[]>;

const FILTER_COMMENTS = "@secretlint/secretlint-rule-filter-comments";

/**
 * secretlint, loaded when first needed (~35 ms; a publish with nothing new to scan never pays it).
 * A batch runs without the comment rule: the files that carry secretlint comments are linted alone
 * (credentials.ts), so in a batch it could only cost time. In this thread: a worker thread made the
 * scan of a 10k-file first publish ~0.25 s faster but its peak memory ~50 MB larger (a 100k-file
 * first publish: 330 MiB instead of 237).
 */
export async function loadLint(): Promise<Lint> {
  const [{ lintSource }, { creator: preset, rules }] = await Promise.all([
    import("@secretlint/core"),
    import("@secretlint/secretlint-rule-preset-recommend"),
  ]);
  const every: SecretLintCoreConfig = { rules: [{ id: preset.meta.id, rule: preset }] };
  const batch: SecretLintCoreConfig = {
    rules: rules.filter((r) => r.meta.id !== FILTER_COMMENTS).map((rule) => ({ id: rule.meta.id, rule })),
  };
  return async (path, text, alone) => {
    // The path is not one on disk: no rule may read the file itself (the p12 rule would).
    const source = { filePath: `/wspub-scan/${path}`, content: text, ext: extOf(path), contentType: "text" as const };
    const config = alone ? every : batch;
    const result = await lintSource({ source, options: { config, maskSecrets: true } });
    return result.messages
      .filter((m): m is SecretLintCoreResultMessage => m.type === "message")
      .map((m) => ({ ruleId: m.ruleId, messageId: m.messageId, range: m.range, line: m.loc.start.line }));
  };
}

const extOf = (path: string) => {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot) : "";
};
