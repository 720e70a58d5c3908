/**
 * The text of the hooks wspub installs, and how it is merged into a hook file the user may
 * already have. Pure functions: install.ts does the file system work.
 *
 * A hook does no publishing itself: it starts `wspub hooks run <hook>` detached and returns, so
 * git never waits for the network. The detached process must not keep any of git's output open: a
 * caller reading git's stderr through a pipe (an IDE, a script) would wait for it to end. So the
 * subshell replaces its standard streams with `exec` before starting it (a redirection on the
 * function call itself would make sh keep a saved copy of the pipe open while it waits). A plain
 * hooks directory gets a whole script (an existing user hook is kept as `<hook>.pre-wspub` and run
 * first); a husky hook file (a list of commands run with `sh -e`) gets a marked block appended.
 *
 * `reference-transaction` (git >= 2.28) sees every ref update: commit, merge, pull, reset, rebase,
 * update-ref... and fetch, so its block looks at git's lines itself and returns at once unless a
 * local branch (`refs/heads/*`) moved; it never fails, since a failing hook in the "prepared"
 * state aborts the transaction. The older hooks (post-commit, post-merge, post-rewrite,
 * post-checkout) are the fallbacks where it cannot run.
 */

export type HookName =
  | "reference-transaction"
  | "post-commit"
  | "post-merge"
  | "post-rewrite"
  | "post-checkout"
  | "pre-push";
export const HOOK_NAMES: readonly HookName[] = [
  "reference-transaction",
  "post-commit",
  "post-merge",
  "post-rewrite",
  "post-checkout",
  "pre-push",
];
/** The hooks that publish when a local branch moves, where reference-transaction cannot run. */
export const FALLBACK_HOOKS: readonly HookName[] = ["post-commit", "post-merge", "post-rewrite", "post-checkout"];
export const CHAINED_SUFFIX = ".pre-wspub";

/** How the hook finds wspub: the node + script it was installed with, else `wspub` on PATH. */
export interface Launcher {
  node?: string | undefined;
  script?: string | undefined;
}

/** Where the block goes: husky's fallback blocks stand down where husky runs reference-transaction. */
export interface BlockOptions {
  husky?: boolean;
}

/** Hooks git gives lines on standard input. */
const readsStdin = (hook: HookName) =>
  hook === "pre-push" || hook === "reference-transaction" || hook === "post-rewrite";

const begin = (hook: HookName) => `# >>> wspub ${hook} >>>`;
const end = (hook: HookName) => `# <<< wspub ${hook} <<<`;

/** Single-quotes a value for sh. */
export function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The marked block. It ends with `:` so that a husky file run with `sh -e` never fails because of it. */
export function hookBlock(hook: HookName, launcher: Launcher, options: BlockOptions = {}): string {
  const [node, script] = [shQuote(launcher.node ?? ""), shQuote(launcher.script ?? "")];
  const pinned = launcher.node && launcher.script ? `[ -x ${node} ] && [ -f ${script} ]` : "false";
  const run = `if ${pinned}; then ${node} ${script} "$@"; else wspub "$@"; fi`;
  const lines = [
    begin(hook),
    `# Publishes in the background (wspub hooks install); opt out with WSPUB_SKIP=1 or HUSKY=0.`,
    `wspub_go=`,
    `if [ "\${WSPUB_SKIP:-}" != "1" ] && [ "\${HUSKY:-}" != "0" ]; then wspub_go=1; fi`,
    ...trigger(hook, options),
    `if [ -n "$wspub_go" ]; then`,
    `  wspub_state="$(git rev-parse --git-common-dir 2>/dev/null)/wspub"`,
    // Marks the request at once, before node starts: the publisher waits for these marks to stop.
    `  mkdir -p "$wspub_state" 2>/dev/null && : > "$wspub_state/requested"`,
    `  if [ -s "$wspub_state/last-error" ]; then`,
    `    echo "wspub: the last background publish failed: $(head -n 1 "$wspub_state/last-error")` +
      ` (wspub status shows the log)" >&2`,
    `    mv -f "$wspub_state/last-error" "$wspub_state/last-error.shown" 2>/dev/null`,
    `  fi`,
    `  wspub_run() { ${run}; }`,
    // Neither the wspub that installed the hook (moved, or its Node upgraded) nor one on PATH: say so
    // here, where it is seen (the publish itself runs in the background, its output dropped).
    `  if ! { ${pinned}; } && ! command -v wspub >/dev/null 2>&1; then`,
    `    echo "wspub: not found (the installation that wrote this hook moved, and no wspub is on PATH):` +
      ` install wspub, then run wspub hooks install" >&2`,
    `  fi`,
    // --at: when git ran the hook (its publisher may start much later on a busy machine).
    `  ( exec </dev/null >/dev/null 2>&1; wspub_run hooks run ${hook} --at "$(date +%s)"${
      hook === "pre-push" || hook === "reference-transaction" ? ' --updates "$wspub_updates"' : ""
    } & )`,
    `fi`,
    `:`,
    end(hook),
  ];
  return lines.join("\n");
}

/** What decides, per hook, whether there is anything to publish (sets `wspub_go` empty when not). */
function trigger(hook: HookName, options: BlockOptions): string[] {
  // A husky file may already have read the standard input into the variable (the chain does too).
  const stdin = readsStdin(hook) ? [`[ -n "\${wspub_updates+x}" ] || wspub_updates=$(cat)`] : [];
  // Where husky runs reference-transaction (the stub `wspub hooks install` writes), it sees every move.
  const standDown =
    options.husky && FALLBACK_HOOKS.includes(hook)
      ? [`if [ -f "$(dirname "$0")/_/reference-transaction" ]; then wspub_go=; fi`]
      : [];
  switch (hook) {
    case "reference-transaction":
      // Only committed transactions (the prepared and aborted states do not even read git's lines);
      // only local branches that moved to a commit (not deleted).
      return [
        `wspub_moved=`,
        `if [ "$1" = committed ]; then`,
        ...stdin.map((l) => `  ${l}`),
        `  wspub_nl='`,
        `'`,
        `  while read -r wspub_old wspub_new wspub_ref; do`,
        `    case "$wspub_ref" in refs/heads/*) ;; *) continue ;; esac`,
        `    case "$wspub_new" in *[!0]*) ;; *) continue ;; esac`,
        `    if [ "$wspub_old" = "$wspub_new" ]; then continue; fi`,
        `    wspub_moved="$wspub_moved$wspub_old $wspub_new $wspub_ref$wspub_nl"`,
        `  done <<wspub_eof`,
        `$wspub_updates`,
        `wspub_eof`,
        `fi`,
        `wspub_updates="$wspub_moved"`,
        `if [ -z "$wspub_moved" ]; then wspub_go=; fi`,
      ];
    case "post-checkout":
      // A branch checkout ($3 = 1) that moved HEAD to another commit.
      return [...standDown, `if [ "\${3:-}" != "1" ] || [ "\${1:-}" = "\${2:-}" ]; then wspub_go=; fi`];
    default:
      return [...stdin, ...standDown];
  }
}

export function hasBlock(text: string, hook: HookName): boolean {
  return text.includes(begin(hook)) && text.includes(end(hook));
}

/** Removes wspub's block (and the chain line of a plain script) from a hook file's text. */
export function removeBlock(text: string, hook: HookName): string {
  const lines = text.split("\n");
  const out: string[] = [];
  let inside = false;
  for (const line of lines) {
    if (line === begin(hook) || line === chainBegin) inside = true;
    if (!inside) out.push(line);
    if (line === end(hook) || line === chainEnd) inside = false;
  }
  return out.join("\n").replace(/\n{3,}$/, "\n\n");
}

const chainBegin = "# >>> wspub chain >>>";
const chainEnd = "# <<< wspub chain <<<";

/**
 * A whole script for a plain hooks directory; `chained` runs the user's previous hook first, with
 * the same arguments and input, and its failure stops git.
 */
export function plainScript(hook: HookName, launcher: Launcher, chained: boolean): string {
  const lines = ["#!/bin/sh"];
  if (chained) {
    lines.push(
      chainBegin,
      `# The hook that was here before wspub, kept as ${hook}${CHAINED_SUFFIX}: it runs first, and its failure ` +
        `stops git.`,
    );
    if (readsStdin(hook)) {
      lines.push(
        `wspub_updates=$(cat)`,
        `if [ -n "$wspub_updates" ]; then printf '%s\\n' "$wspub_updates"; fi | "$0${CHAINED_SUFFIX}" "$@" || exit $?`,
      );
    } else {
      lines.push(`"$0${CHAINED_SUFFIX}" "$@" || exit $?`);
    }
    lines.push(chainEnd);
  }
  lines.push(hookBlock(hook, launcher), "");
  return lines.join("\n");
}

/** Husky runs a hook only if its `_/` directory has a stub of that name; it lists no reference-transaction. */
export const HUSKY_STUB = `#!/usr/bin/env sh\n. "$(dirname "$0")/h"`;

/** Whether what is left of a file after removing wspub's parts is empty (only a shebang and blank lines). */
export function isEffectivelyEmpty(text: string): boolean {
  return text
    .split("\n")
    .filter((l) => !l.startsWith("#!"))
    .every((l) => l.trim() === "");
}
