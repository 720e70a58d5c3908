import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
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
 * secretlint in this thread, loaded on first use. A batch runs without the comment rule: the files
 * that carry secretlint comments are linted alone (credentials.ts), so it could only cost time.
 */
export async function inProcessLint(): Promise<Lint> {
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

/** The worker script next to this module in lib/ and in the bundles (absent when running from src/). */
const WORKER = new URL("./scan-worker.js", import.meta.url);

/**
 * secretlint on a worker thread (`worker`, when the worker script is there: not when running from
 * src/), so that reading blobs (this thread) and linting (the worker) use both cores; in this thread
 * otherwise. A worker costs ~70 ms to start, about twice what loading secretlint here does: worth it
 * for a large scan only. `close` ends the worker.
 */
export async function openLint(worker: boolean): Promise<{ lint: Lint; close: () => Promise<void> }> {
  if (!worker || WORKER.protocol !== "file:" || !existsSync(fileURLToPath(WORKER))) {
    return { lint: await inProcessLint(), close: async () => undefined };
  }
  const thread = new Worker(WORKER);
  const waiting = new Map<number, { resolve: (f: LintFinding[]) => void; reject: (e: Error) => void }>();
  let next = 0;
  let failure: Error | undefined;
  const failAll = (e: Error) => {
    failure = e;
    for (const w of [...waiting.values()]) w.reject(e);
  };
  thread.on("message", (m: { id: number; findings?: LintFinding[]; error?: string }) => {
    const w = waiting.get(m.id);
    if (m.error !== undefined) w?.reject(new Error(`credential scan: ${m.error}`));
    else w?.resolve(m.findings ?? []);
  });
  thread.on("error", (e) => failAll(new Error(`credential scan worker: ${e.message}`)));
  thread.on("exit", (code) => failAll(new Error(`credential scan worker exited (${code})`)));
  // The worker keeps the process alive only while it has work (a scan cut short by an error must
  // not hold the process open).
  thread.unref();
  const settle = (id: number) => {
    waiting.delete(id);
    if (waiting.size === 0) thread.unref();
  };
  const lint: Lint = (path, text, alone) => {
    if (failure) return Promise.reject(failure);
    const id = next++;
    return new Promise((resolve, reject) => {
      waiting.set(id, {
        resolve: (f) => {
          settle(id);
          resolve(f);
        },
        reject: (e) => {
          settle(id);
          reject(e);
        },
      });
      thread.ref();
      thread.postMessage({ id, path, text, alone });
    });
  };
  return { lint, close: async () => void (await thread.terminate()) };
}
