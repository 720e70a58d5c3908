/**
 * The text of the hooks wspub installs, and how it is merged into a hook file the user may
 * already have. Pure functions: install.ts does the file system work.
 *
 * The hook does no publishing itself: it starts `wspub hooks run <hook>` detached and returns, so
 * `git commit` never waits for the network. The detached process must not keep any of git's output
 * open: a caller reading git's stderr through a pipe (an IDE, a script) would wait for it to end.
 * So the subshell replaces its standard streams with `exec` before starting it (a redirection on
 * the function call itself would make sh keep a saved copy of the pipe open while it waits). A
 * plain hooks directory gets a whole script (an existing user hook is kept as `<hook>.pre-wspub`
 * and run first); a husky hook file (a list of commands run with `sh -e`) gets a marked block
 * appended.
 */

export type HookName = "post-commit" | "pre-push";
export const HOOK_NAMES: readonly HookName[] = ["post-commit", "pre-push"];
export const CHAINED_SUFFIX = ".pre-wspub";

/** How the hook finds wspub: the node + script it was installed with, else `wspub` on PATH. */
export interface Launcher {
  node?: string | undefined;
  script?: string | undefined;
}

const begin = (hook: HookName) => `# >>> wspub ${hook} >>>`;
const end = (hook: HookName) => `# <<< wspub ${hook} <<<`;

/** Single-quotes a value for sh. */
export function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The marked block. It ends with `:` so that a husky file run with `sh -e` never fails because of it. */
export function hookBlock(hook: HookName, launcher: Launcher): string {
  const pinned = launcher.node && launcher.script;
  const [node, script] = [shQuote(launcher.node ?? ""), shQuote(launcher.script ?? "")];
  const run = pinned
    ? `if [ -x ${node} ] && [ -f ${script} ]; then ${node} ${script} "$@"; else wspub "$@"; fi`
    : `wspub "$@"`;
  const lines = [
    begin(hook),
    `# Publishes in the background (wspub hooks install); opt out with WSPUB_SKIP=1 or HUSKY=0.`,
    `if [ "\${WSPUB_SKIP:-}" != "1" ] && [ "\${HUSKY:-}" != "0" ]; then`,
  ];
  if (hook === "pre-push") lines.push(`  [ -n "\${wspub_updates+x}" ] || wspub_updates=$(cat)`);
  lines.push(
    `  wspub_state="$(git rev-parse --git-common-dir 2>/dev/null)/wspub"`,
    // Marks the request at once, before node starts: the publisher waits for these marks to stop.
    `  mkdir -p "$wspub_state" 2>/dev/null && : > "$wspub_state/requested"`,
    `  if [ -s "$wspub_state/last-error" ]; then`,
    `    echo "wspub: the last background publish failed: $(head -n 1 "$wspub_state/last-error") (wspub status ` +
      `shows the log)" >&2`,
    `    mv -f "$wspub_state/last-error" "$wspub_state/last-error.shown" 2>/dev/null`,
    `  fi`,
    `  wspub_run() { ${run}; }`,
    hook === "pre-push"
      ? `  ( exec </dev/null >/dev/null 2>&1; wspub_run hooks run pre-push --updates "$wspub_updates" & )`
      : `  ( exec </dev/null >/dev/null 2>&1; wspub_run hooks run post-commit & )`,
    `fi`,
    `:`,
    end(hook),
  );
  return lines.join("\n");
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
 * A whole script for a plain hooks directory; `chained` runs the user's previous hook first, with the
 * same arguments and input.
 */
export function plainScript(hook: HookName, launcher: Launcher, chained: boolean): string {
  const lines = ["#!/bin/sh"];
  if (chained) {
    lines.push(
      chainBegin,
      `# The hook that was here before wspub, kept as ${hook}${CHAINED_SUFFIX}: it runs first, and its failure ` +
        `stops git.`,
    );
    if (hook === "pre-push") {
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

/** Whether what is left of a file after removing wspub's parts is empty (only a shebang and blank lines). */
export function isEffectivelyEmpty(text: string): boolean {
  return text
    .split("\n")
    .filter((l) => !l.startsWith("#!"))
    .every((l) => l.trim() === "");
}
